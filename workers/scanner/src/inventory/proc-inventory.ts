// Linux process inventory from /proc, incremental: every pass reads each pid's stat line; details only for pids it has not seen.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22): with the pid, a process's identity. */
  readonly startTime: number;
  /** The kernel's short name (comm). */
  readonly comm: string;
  /** Session id: the terminator protects the operator's own session. */
  readonly session: number;
  readonly kernelThread: boolean;
  /** null when the link cannot be read (another user's process without root, a kernel thread). */
  readonly exe: string | null;
  readonly cmdline: readonly string[];
  readonly cwd: string | null;
}

/** PF_KTHREAD in /proc/<pid>/stat flags. */
const PF_KTHREAD = 0x00200000;

interface StatLine {
  ppid: number;
  session: number;
  flags: number;
  startTime: number;
  comm: string;
}

/** Parses /proc/<pid>/stat; comm may hold spaces and parentheses, so fields are counted after its last ')'. */
export function parseStat(text: string): StatLine | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): field N is f[N - 3].
  return { comm: text.slice(open + 1, close), ppid: Number(f[1]), session: Number(f[3]), flags: Number(f[6]), startTime: Number(f[19]) };
}

function tryRead(fn: () => string): string | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

/** Known pids have their stat line re-read once every this many passes (a slice each pass), to catch a reused pid. */
const RECHECK_SLICES = 16;

export class ProcInventory {
  private known = new Map<number, ProcessInfo>();
  private pass = 0;

  constructor(private readonly root = '/proc') {}

  /** Every process now; details of a pid seen before (same start time) come from the last pass. */
  scan(): ProcessInfo[] {
    const next = new Map<number, ProcessInfo>();
    const slice = this.pass++ % RECHECK_SLICES;
    for (const name of readdirSync(this.root)) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      const seen = this.known.get(pid);
      // A pid seen on the last pass is the same process unless it was reused in between: checked a slice at a time.
      if (seen && pid % RECHECK_SLICES !== slice) {
        next.set(pid, seen);
        continue;
      }
      const statText = tryRead(() => readFileSync(`${this.root}/${name}/stat`, 'latin1'));
      if (statText === null) continue; // exited between readdir and read
      const stat = parseStat(statText);
      if (!stat) continue;
      const prev = this.known.get(pid);
      const info = prev && prev.startTime === stat.startTime ? prev : this.details(pid, stat);
      if (info) next.set(pid, info);
    }
    this.known = next;
    return [...next.values()];
  }

  /** The last pass's record of one pid, if it is still the same process (its start time read now). */
  current(pid: number): ProcessInfo | undefined {
    const info = this.known.get(pid);
    const text = tryRead(() => readFileSync(`${this.root}/${pid}/stat`, 'latin1'));
    const stat = text === null ? null : parseStat(text);
    if (!stat) return undefined;
    if (info && info.startTime === stat.startTime) return info;
    return this.details(pid, stat) ?? undefined;
  }

  private details(pid: number, stat: StatLine): ProcessInfo | null {
    const dir = `${this.root}/${pid}`;
    let uid: number;
    try {
      uid = statSync(dir).uid;
    } catch {
      return null;
    }
    const kernelThread = (stat.flags & PF_KTHREAD) !== 0;
    const raw = kernelThread ? '' : (tryRead(() => readFileSync(`${dir}/cmdline`, 'utf8')) ?? '');
    const cmdline = raw.length === 0 ? [] : raw.replace(/\0$/, '').split('\0');
    return {
      pid,
      ppid: stat.ppid,
      uid,
      startTime: stat.startTime,
      comm: stat.comm,
      session: stat.session,
      kernelThread,
      exe: kernelThread ? null : tryRead(() => readlinkSync(`${dir}/exe`)),
      cmdline,
      cwd: kernelThread ? null : tryRead(() => readlinkSync(`${dir}/cwd`)),
    };
  }
}
