// Linux process inventory from /proc, incremental: details only for pids not seen before, or seen while young enough to exec yet.
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { ProcFileReader } from './proc-file.js';

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

/** A process younger than this when its details were read may still exec (fork, then exec): read again next pass. */
const SETTLE_TICKS = 5 * 100;
/** USER_HZ: the unit of stat's start time (100 on every Linux this runs on). */
const CLK_TCK = 100;

/** A command line longer than this is cut (the kernel allows up to ARG_MAX, 2 MiB). */
const CMDLINE_MAX_BYTES = 256 * 1024;

/** Known pids have their stat line re-read once every this many passes (a slice each pass), to catch a reused pid. */
const RECHECK_SLICES = 16;

/** The same process running the same program: an unsettled record read again that needs no new analysis. */
function sameProgram(a: ProcessInfo, b: ProcessInfo): boolean {
  return a.startTime === b.startTime && a.uid === b.uid && a.exe === b.exe && a.cwd === b.cwd && a.cmdline.length === b.cmdline.length && a.cmdline.every((x, i) => x === b.cmdline[i]);
}

export class ProcInventory {
  private known = new Map<number, ProcessInfo>();
  /** Records read while their process was young: re-read each pass until it is not (a new object when re-read). */
  private unsettled = new Set<ProcessInfo>();
  private pass = 0;
  private nowTicks = 0;

  /** Shared with the scanner's environ reads: one buffer for the whole pass. */
  readonly files = new ProcFileReader();

  constructor(private readonly root = '/proc') {}

  /** Seconds since boot (/proc/uptime), in stat's clock ticks. */
  private uptimeTicks(): number {
    const text = this.files.read(`${this.root}/uptime`);
    return text === null ? Number.MAX_SAFE_INTEGER : Math.floor(Number(text.split(' ')[0]) * CLK_TCK);
  }

  private list: ProcessInfo[] = [];
  /** Raised when a pass's records differ from the last pass's (a process came, went or was read again). */
  generation = 0;

  /** Every process now; details of a pid seen before (same start time) come from the last pass. The same array while nothing changed. */
  scan(): readonly ProcessInfo[] {
    const next = new Map<number, ProcessInfo>();
    let changed = false;
    const slice = this.pass++ % RECHECK_SLICES;
    this.nowTicks = this.uptimeTicks();
    for (const name of readdirSync(this.root)) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      const seen = this.known.get(pid);
      // A pid seen on the last pass is the same process unless it was reused in between: checked a slice at a time.
      if (seen && pid % RECHECK_SLICES !== slice && !this.unsettled.has(seen)) {
        next.set(pid, seen);
        continue;
      }
      const statText = this.files.read(`${this.root}/${name}/stat`);
      if (statText === null) continue; // exited between readdir and read
      const stat = parseStat(statText);
      if (!stat) continue;
      const prev = this.known.get(pid);
      const info = prev && prev.startTime === stat.startTime && !this.unsettled.has(prev) ? prev : this.details(pid, stat);
      // A young process read again that has not executed anything new keeps its record: nothing to analyse again.
      if (info && prev && info !== prev && sameProgram(prev, info)) {
        if (!this.unsettled.delete(info)) this.unsettled.delete(prev); // prev stays unsettled while the process is young
        next.set(pid, prev);
      } else if (info) next.set(pid, info);
      if (next.get(pid) !== prev) changed = true;
    }
    if (changed || next.size !== this.known.size) {
      this.generation++;
      this.list = [...next.values()];
    }
    this.known = next;
    for (const u of this.unsettled) if (next.get(u.pid) !== u) this.unsettled.delete(u);
    return this.list;
  }

  /** The last pass's record of one pid, if it is still the same process (its start time read now). */
  current(pid: number): ProcessInfo | undefined {
    const info = this.known.get(pid);
    const text = this.files.read(`${this.root}/${pid}/stat`);
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
    const young = !kernelThread && this.nowTicks - stat.startTime < SETTLE_TICKS;
    const raw = kernelThread ? '' : (this.files.read(`${dir}/cmdline`, 'utf8', CMDLINE_MAX_BYTES) ?? '');
    const cmdline = raw.length === 0 ? [] : raw.replace(/\0$/, '').split('\0');
    const info: ProcessInfo = {
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
    if (young) this.unsettled.add(info);
    return info;
  }
}
