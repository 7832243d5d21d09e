// For interpreters, what code is running: a script file, inline code (-c/-e/-m/stdin), from /proc/<pid>/cmdline.
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';

const INTERPRETER = /^(python[0-9.]*|pypy[0-9.]*|node|nodejs|deno|bun|ruby|perl|php|sh|bash|dash|zsh|ksh)$/;
/** Flags after which the program text is inline (or a module name), not a script path. */
const INLINE_FLAGS = new Set(['-c', '-m', '-e', '-E', '-p', '--eval', '--print', '-r', '--require', '--import', '-']);
/** Flags that take a separate value that is not the script. */
const VALUE_FLAGS = new Set(['-W', '-X', '-Q', '--loader', '--experimental-loader', '-I', '--input-type', '--conditions', '-C']);

export type RunningCode = { kind: 'binary' } | { kind: 'script'; path: string } | { kind: 'inline'; how: string };

export function isInterpreter(exePath: string): boolean {
  return INTERPRETER.test(basename(exePath));
}

export function runningCode(pid: number, exePath: string): RunningCode {
  if (!isInterpreter(exePath)) return { kind: 'binary' };
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (INLINE_FLAGS.has(arg) || /^--(eval|print|require|import)=/.test(arg)) return { kind: 'inline', how: arg.split('=')[0] as string };
    if (VALUE_FLAGS.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    const path = isAbsolute(arg) ? arg : resolve(cwd, arg);
    return { kind: 'script', path: realpathOr(path) };
  }
  return { kind: 'inline', how: 'stdin' };
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
