// Shared pieces of the scanner tests: fake agents as real processes, and /proc state.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ctl, REPO } from '../helpers/daemon.js';

export const FIXTURES = join(REPO, 'tests', 'scanner', 'fixtures');
const children: ChildProcess[] = [];

/** The real interpreter behind a pyenv shim or wrapper. */
export const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

export function startProcess(cmd: string, args: string[], opts: { argv0?: string; env?: Record<string, string> } = {}): ChildProcess {
  const p = spawn(cmd, args, { argv0: opts.argv0, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...opts.env }, stdio: 'ignore' });
  children.push(p);
  return p;
}

export function stopProcesses(): void {
  for (const p of children.splice(0)) {
    try {
      process.kill(p.pid ?? 0, 'SIGCONT');
      p.kill('SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** /proc/<pid>/stat state letter: 'T' is stopped; null when the process is gone. */
export function procState(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** Every raypherctl output of the test, for the canary check. */
export const outputs: string[] = [];

export async function ctlJson<T>(home: string, args: string[]): Promise<T> {
  const r = await ctl(home, [...args, '--json']);
  outputs.push(r.stdout, r.stderr);
  if (r.code !== 0) throw new Error(`raypherctl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The error code of a refused command. */
export async function ctlError(home: string, args: string[]): Promise<string> {
  const r = await ctl(home, [...args, '--json']);
  outputs.push(r.stdout, r.stderr);
  if (r.code === 0) return 'succeeded';
  return (JSON.parse(r.stderr) as { error: { code: string } }).error.code;
}
