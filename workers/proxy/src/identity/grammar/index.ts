// Interpreter option grammars: what code an argv runs (a script file, inline code, or an option that loads other code).
import { basename } from 'node:path';
import type { InterpreterFamily } from '@raypher/shared/ipc';
import { parseNodeArgv } from './node.js';
import { parsePythonArgv } from './python.js';

/** binary: no script check. generic: an interpreter whose options Raypher does not parse: none are accepted. */
export type Family = InterpreterFamily;

export type RunningCode =
  /** arg is the script as written in argv: resolve it against the exec-time cwd. */
  | { kind: 'script'; arg: string; ignoresEnvironment?: boolean }
  | { kind: 'inline'; how: string }
  | { kind: 'denied'; option: string; why: string };

const BY_NAME: ReadonlyArray<[RegExp, Family]> = [
  [/^(python|pypy)[0-9.]*$/, 'python'],
  [/^(node|nodejs)$/, 'node'],
  [/^perl[0-9.]*$/, 'perl'],
  [/^ruby[0-9.]*$/, 'ruby'],
  [/^php[0-9.]*$/, 'php'],
  [/^(sh|bash|dash|zsh|ksh|mksh|ash)$/, 'shell'],
  [/^(deno|bun|lua[0-9.]*|tclsh[0-9.]*|Rscript|osascript|pwsh)$/, 'generic'],
];

/**
 * The family of an executable the operator names in `allow` (its real path's file name). Only used when an entry is
 * added: a running process is matched by hash and path, and the entry's family then decides how its argv is read.
 */
export function familyOf(exePath: string): Family {
  const name = basename(exePath);
  return BY_NAME.find(([re]) => re.test(name))?.[1] ?? 'binary';
}

/** What argv (argv[0] first) runs under the family's grammar; options in `allowed` pass even if unknown. */
export function parseArgv(family: Family, argv: readonly string[], allowed: readonly string[]): RunningCode {
  switch (family) {
    case 'binary':
      return { kind: 'script', arg: '' }; // never asked: binaries have no script
    case 'node':
      return parseNodeArgv(argv, allowed);
    case 'python':
      return parsePythonArgv(argv, allowed);
    default:
      return parseStrict(argv, allowed);
  }
}

/** Interpreters without a parsed grammar: `interp script args...`, no options before the script unless the entry names them. */
function parseStrict(argv: readonly string[], allowed: readonly string[]): RunningCode {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-') return { kind: 'inline', how: 'stdin' };
    if (arg === '--') return argv[i + 1] === undefined ? { kind: 'inline', how: 'stdin' } : { kind: 'script', arg: argv[i + 1] as string };
    if (!arg.startsWith('-')) return { kind: 'script', arg };
    if (!allowed.includes(arg)) return { kind: 'denied', option: arg, why: 'options of this interpreter are not parsed; name it with --allow-option if it loads no other code' };
  }
  return { kind: 'inline', how: 'stdin' };
}
