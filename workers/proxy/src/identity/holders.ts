// Which processes hold a socket: scan /proc/<pid>/fd of the socket owner's processes for socket:[inode].
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { hasCloexec } from './process-facts.js';

export interface Holder {
  pid: number;
  /** A descriptor for the socket without close-on-exec: it survived an exec, so it predates the program now running. */
  inherited: boolean;
}

/** Rounds of re-listing a process's descriptors while new ones keep appearing (a socket moved by dup2 is found). */
const MAX_ROUNDS = 4;

/**
 * Every process of `uid` holding the socket. A descriptor or process that goes away mid-scan is skipped alone (a busy
 * agent opening and closing files is still found), and descriptors that appear during the scan are read too.
 */
export function findHolders(inode: number, uid: number): Holder[] {
  const target = `socket:[${inode}]`;
  const holders: Holder[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) > 57) continue; // not a pid (digits sort first)
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (statSync(`/proc/${entry}`).uid !== uid) continue;
    } catch {
      continue; // exited
    }
    const fds = socketFds(pid, target);
    if (fds.length > 0) holders.push({ pid, inherited: fds.some((fd) => !hasCloexec(pid, fd)) });
  }
  return holders;
}

/** The process's descriptors that point at target; [] if it exited. */
function socketFds(pid: number, target: string): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let listed: string[];
    try {
      listed = readdirSync(`/proc/${pid}/fd`);
    } catch {
      return found; // exited (or not readable: not ours)
    }
    let fresh = 0;
    for (const fd of listed) {
      if (seen.has(fd)) continue;
      seen.add(fd);
      fresh++;
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) found.push(fd);
      } catch {
        /* closed while we looked: whatever it was, it is gone */
      }
    }
    // Stop once found, or once a listing brings nothing new (the usual case: one extra readdir per process).
    if (found.length > 0 || fresh === 0) break;
  }
  return found;
}
