// node's command line (and NODE_OPTIONS): options that run or load other code are denied, unknown ones too.
import type { RunningCode } from './index.js';

/** Options that change nothing about which code runs. */
const SAFE_FLAGS = new Set([
  '--no-warnings', '--enable-source-maps', '--trace-warnings', '--trace-uncaught', '--trace-exit', '--trace-sigint',
  '--no-deprecation', '--throw-deprecation', '--trace-deprecation', '--pending-deprecation', '--experimental-vm-modules', '--experimental-strip-types', '--experimental-detect-module',
  '--no-experimental-detect-module', '--experimental-require-module', '--abort-on-uncaught-exception', '--frozen-intrinsics',
  '--use-openssl-ca', '--use-bundled-ca', '--expose-gc', '--jitless', '--openssl-legacy-provider', '--tls-min-v1.2',
  '--tls-min-v1.3', '--tls-max-v1.2', '--tls-max-v1.3', '--no-addons', '--experimental-permission', '--allow-child-process',
  '--allow-worker', '--zero-fill-buffers', '--experimental-websocket', '--no-experimental-websocket', '--no-experimental-fetch',
  '--force-fips', '--enable-fips', '--no-experimental-global-navigator',
  // node 22.14 and later: SIGUSR1 no longer opens the inspector (docs/security.md). Unknown to node 20, which refuses to start.
  '--disable-sigusr1',
]);
/** Options with a value (--name=value or --name value) that changes nothing about which code runs. */
const SAFE_WITH_VALUE = new Set([
  '--max-old-space-size', '--max-semi-space-size', '--stack-size', '--unhandled-rejections', '--dns-result-order', '--title',
  '--max-http-header-size', '--disable-proto', '--conditions', '-C', '--input-type', '--allow-fs-read', '--allow-fs-write',
  '--secure-heap', '--secure-heap-min', '--redirect-warnings', '--experimental-default-type', '--heapsnapshot-signal',
  '--diagnostic-dir', '--report-signal', '--tls-cipher-list', '--stack-trace-limit',
]);
/** Named so the denial says why; anything not in the safe sets is denied anyway. */
const CODE_OPTIONS: ReadonlyArray<[RegExp, string]> = [
  [/^(-e|--eval|-p|--print|-pe|-i|--interactive)$/, 'runs inline code'],
  [/^(-r|--require|--import|--loader|--experimental-loader)$/, 'loads another module first'],
  [/^--env-file(-if-exists)?$/, 'reads environment (NODE_OPTIONS) from a file'],
  [/^--(inspect|debug)/, 'opens a debugger: any local process could run code in it'],
  [/^--(test|watch|run)/, 'runs other files or commands'],
  [/^--(snapshot-blob|build-snapshot)/, 'loads a V8 snapshot (code)'],
  [/^--(openssl-config|openssl-shared-config|icu-data-dir)$/, 'loads a configuration that can load shared objects'],
  [/^--allow-natives-syntax$/, 'exposes V8 internals'],
  // The script's realpath is what is checked; with these, its imports resolve beside a link the caller may own.
  [/^--preserve-symlinks(-main)?$/, 'resolves modules beside a symlink, not the real file: a link in a folder the caller owns loads its code'],
];

const INLINE = /^(-e|--eval|-p|--print|-pe)(=|$)/;

/** Node treats _ and - alike in option names. */
const normalise = (name: string) => (name.startsWith('--') ? `--${name.slice(2).replace(/_/g, '-')}` : name);

/** One option token: null if it is fine, else why not; `takesNext` when its value is the next token. */
export function checkNodeOption(token: string, allowed: readonly string[]): { denied: string | null; takesNext: boolean } {
  const eq = token.indexOf('=');
  const name = normalise(eq < 0 ? token : token.slice(0, eq));
  const code = CODE_OPTIONS.find(([re]) => re.test(name)); // never allowed, whatever the entry says
  if (code) return { denied: code[1], takesNext: false };
  if (allowed.includes(name) || allowed.includes(token)) return { denied: null, takesNext: false };
  if (SAFE_FLAGS.has(name) && eq < 0) return { denied: null, takesNext: false };
  if (SAFE_WITH_VALUE.has(name)) return { denied: null, takesNext: eq < 0 };
  return { denied: 'unknown option (add it with --allow-option if it loads no other code)', takesNext: false };
}

export function parseNodeArgv(argv: readonly string[], allowed: readonly string[]): RunningCode {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-') return { kind: 'inline', how: 'stdin' };
    if (arg === '--') return argv[i + 1] === undefined ? { kind: 'inline', how: 'stdin' } : { kind: 'script', arg: argv[i + 1] as string };
    if (!arg.startsWith('-')) return { kind: 'script', arg };
    const { denied, takesNext } = checkNodeOption(arg, allowed);
    if (denied) return INLINE.test(arg) ? { kind: 'inline', how: arg.split('=')[0] as string } : { kind: 'denied', option: arg, why: denied };
    if (takesNext) i++;
  }
  return { kind: 'inline', how: 'stdin' };
}

/**
 * NODE_OPTIONS split exactly as node does (ParseNodeOptionsEnvVar): only a space separates, double quotes group, and a
 * backslash inside quotes takes the next character literally. A looser split (any whitespace, no escapes) would read
 * `--title="\"" --require=x "..."` as one quoted title while node reads a separate --require.
 */
export function splitNodeOptions(value: string): string[] | null {
  const tokens: string[] = [];
  let inString = false;
  let startNew = true;
  for (let i = 0; i < value.length; i++) {
    let c = value[i] as string;
    if (c === '\\' && inString) {
      if (i + 1 === value.length) return null; // node refuses to start: invalid escape
      c = value[++i] as string;
    } else if (c === ' ' && !inString) {
      startNew = true;
      continue;
    } else if (c === '"') {
      inString = !inString;
      continue;
    }
    if (startNew) tokens.push(c);
    else tokens[tokens.length - 1] += c;
    startNew = false;
  }
  return inString ? null : tokens; // an unterminated string: node refuses to start
}

/** NODE_OPTIONS as node splits it: the first option in it that is denied, or null. */
export function deniedInNodeOptions(value: string, allowed: readonly string[]): { option: string; why: string } | null {
  const tokens = splitNodeOptions(value);
  if (tokens === null) return null; // node exits at start-up without running anything
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (!token.startsWith('-')) return { option: token, why: 'NODE_OPTIONS holds something that is not an option' };
    const { denied, takesNext } = checkNodeOption(token, allowed);
    if (denied) return { option: token, why: denied };
    if (takesNext) i++;
  }
  return null;
}
