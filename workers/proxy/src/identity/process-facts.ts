// What a process runs, read from /proc: the executable, argv, cwd and the code-injection part of its environment.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { isInjectionVariable } from './env-policy.js';

export interface ProcessFacts {
  pid: number;
  /** Clock ticks since boot (field 22 of /proc/<pid>/stat): (pid, startTime) names one process for its life. */
  startTime: number;
  uid: number;
  /** The executable's real path (the kernel's /proc/<pid>/exe link), and its identity on disk. */
  exePath: string;
  exeDev: number;
  exeIno: number;
  argv: string[];
  cwd: string;
  /** Only the variables that can inject code (env-policy.ts), name → value. */
  env: Record<string, string>;
  /**
   * Its mount namespace (`mnt:[inode]`) and root directory as the proxy sees them. Paths in argv and cwd are checked
   * in the proxy's view of the file system; a process with another view (an unprivileged user namespace can
   * bind-mount any file over the allowed script, or chroot) loaded other files under the same names.
   */
  mntNs: string;
  root: string;
}

const O_CLOEXEC = 0o2000000;

/**
 * The sockets a process inherited across its exec, read from its descriptors just after the exec. Read while the
 * new program cannot have run code of its own yet (`fresh`), every socket it holds was inherited; this matters
 * because node marks every inherited descriptor close-on-exec within its first millisecond, erasing the evidence
 * the flags would give. Read later (a loaded machine), a socket with close-on-exec may be the program's own (libuv
 * and CPython open every socket with it), so only those without it are named: no agent's own connection is ever
 * taken for an inherited one, and the exec-after-accept check covers what a late read no longer sees.
 */
export function inheritedSocketInodes(pid: number, fresh: boolean): number[] {
  const out: number[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && (fresh || !hasCloexec(pid, fd))) out.push(Number(m[1]));
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

/** Whether the process's descriptor has close-on-exec (/proc/<pid>/fdinfo flags); true if it is gone meanwhile. */
export function hasCloexec(pid: number, fd: string): boolean {
  try {
    const m = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1'));
    return m !== null && (parseInt(m[1] as string, 8) & O_CLOEXEC) !== 0;
  } catch {
    return true; // closed meanwhile: not a holder any more
  }
}

/** Reads every fact or throws (the process exited, or is not ours to read): callers treat a throw as "no process". */
export function readProcessFacts(pid: number): ProcessFacts {
  const startTime = startTimeOf(pid);
  const exePath = readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  const st = statSync(`/proc/${pid}/exe`);
  const facts: ProcessFacts = {
    pid,
    startTime,
    uid: statSync(`/proc/${pid}`).uid,
    exePath,
    exeDev: st.dev,
    exeIno: st.ino,
    argv: splitNul(readFileSync(`/proc/${pid}/cmdline`, 'latin1')),
    cwd: readlinkSync(`/proc/${pid}/cwd`),
    env: injectionEnv(readFileSync(`/proc/${pid}/environ`, 'latin1')),
    mntNs: readlinkSync(`/proc/${pid}/ns/mnt`),
    root: readlinkSync(`/proc/${pid}/root`),
  };
  // SPIRE's PID-reuse check: the same process from the first read to the last, or nothing.
  if (startTimeOf(pid) !== startTime) throw new Error(`pid ${pid} was reused while it was read`);
  return facts;
}

export function startTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

/** One decode of the whole text (a NUL is never inside a UTF-8 sequence), not one per part: argv may be 1 MB. */
function splitNul(s: string): string[] {
  const parts = Buffer.from(s, 'latin1').toString('utf8').split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** Names are compared in the raw text and only kept values decoded: a caller's 1 MB environment must not slow the ledger. */
function injectionEnv(environ: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let start = 0; start < environ.length; ) {
    let end = environ.indexOf('\0', start);
    if (end < 0) end = environ.length;
    const eq = environ.indexOf('=', start);
    const nameEnd = eq < 0 || eq > end ? end : eq;
    const name = environ.slice(start, nameEnd);
    if (isInjectionVariable(name)) out[name] = nameEnd === end ? '' : Buffer.from(environ.slice(nameEnd + 1, end), 'latin1').toString('utf8');
    start = end + 1;
  }
  return out;
}
