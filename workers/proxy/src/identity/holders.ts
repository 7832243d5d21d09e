// Which processes hold a socket: scan /proc/<pid>/fd of the socket owner's processes for socket:[inode].
import { readdirSync, readlinkSync, readFileSync, statSync } from 'node:fs';

export interface Holder {
  pid: number;
  /** Process start time in clock ticks since boot (field 22 of /proc/<pid>/stat): (pid, start) is unique. */
  startTime: number;
}

export function findHolders(inode: number, uid: number): Holder[] {
  const target = `socket:[${inode}]`;
  const holders: Holder[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (statSync(`/proc/${entry}`).uid !== uid) continue;
      const fds = readdirSync(`/proc/${entry}/fd`);
      for (const fd of fds) {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`) === target) {
          holders.push({ pid, startTime: startTimeOf(pid) });
          break;
        }
      }
    } catch {
      /* the process exited or is not ours to read */
    }
  }
  return holders;
}

export function startTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}
