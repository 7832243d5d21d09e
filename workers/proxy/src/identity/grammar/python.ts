// python's command line: options that run or load other code are denied, unknown ones too.
import type { RunningCode } from './index.js';

/** Single-letter flags that change nothing about which code runs (E, I, s, S, P load less, not more). */
const SAFE_LETTERS = new Set(['b', 'B', 'd', 'E', 'I', 'O', 'P', 'q', 'R', 's', 'S', 'u', 'v', 'x', 'h', 'V']);
/** -X options that load no code (-X pycache_prefix and -X presite would). */
const SAFE_X = new Set(['importtime', 'dev', 'utf8', 'faulthandler', 'tracemalloc', 'warn_default_encoding', 'no_debug_ranges', 'int_max_str_digits', 'frozen_modules', 'perf', 'cpu_count', 'gil', 'showrefcount']);
/** A -W category is imported when it names a module (a dot); builtin warning classes are fine. */
const SAFE_W_CATEGORY = /^[A-Za-z]*$/;

export function parsePythonArgv(argv: readonly string[], allowed: readonly string[]): RunningCode {
  let ignoresEnvironment = false;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-') return { kind: 'inline', how: 'stdin' };
    if (arg === '--') return argv[i + 1] === undefined ? { kind: 'inline', how: 'stdin' } : { kind: 'script', arg: argv[i + 1] as string, ignoresEnvironment };
    if (!arg.startsWith('-')) return { kind: 'script', arg, ignoresEnvironment };
    if (allowed.includes(arg) && !/^-[^-]*[cmi]/.test(arg)) continue; // -c, -m and -i are never the entry's to allow
    if (arg.startsWith('--')) {
      if (arg === '--check-hash-based-pycs') i++;
      else if (!arg.startsWith('--check-hash-based-pycs=')) return { kind: 'denied', option: arg, why: 'unknown option (add it with --allow-option if it loads no other code)' };
      continue;
    }
    // Letters may be grouped (-uB); c, m, W and X take the rest of the token or the next argument.
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j] as string;
      if (letter === 'c' || letter === 'm') return { kind: 'inline', how: `-${letter}` };
      if (letter === 'i') return { kind: 'denied', option: arg, why: 'opens an interactive prompt that reads code from stdin' };
      if (letter === 'W' || letter === 'X') {
        const value = j + 1 < arg.length ? arg.slice(j + 1) : (argv[++i] ?? '');
        const why = letter === 'W' ? checkW(value) : checkX(value);
        if (why) return { kind: 'denied', option: `-${letter} ${value}`, why };
        break;
      }
      if (!SAFE_LETTERS.has(letter)) return { kind: 'denied', option: `-${letter}`, why: 'unknown option (add it with --allow-option if it loads no other code)' };
      if (letter === 'E' || letter === 'I') ignoresEnvironment = true;
    }
  }
  return { kind: 'inline', how: 'stdin' };
}

function checkW(value: string): string | null {
  const category = value.split(':')[2] ?? '';
  return SAFE_W_CATEGORY.test(category) ? null : 'a warning category that names a module imports it';
}

function checkX(value: string): string | null {
  return SAFE_X.has(value.split('=')[0] as string) ? null : 'this -X option loads other code or is unknown';
}
