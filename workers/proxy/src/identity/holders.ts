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
 * One pass over /proc: every socket the processes of `uid` hold, found by its inode. A descriptor or process that goes
 * away mid-scan is skipped alone (a busy agent opening and closing files is still found), and descriptors that appear
 * during the scan are read too. One scan answers every connection asked about before it began (linux.ts): re-checks
 * of many connections at once cost one scan, not one each.
 */
export class HolderScan {
  /** process.hrtime.bigint() when the scan began: it answers questions asked before this. */
  readonly startedNs = process.hrtime.bigint();
  /** "socket:[inode]" → the processes holding it, with their descriptors for it. */
  private readonly bySocket = new Map<string, Array<{ pid: number; fds: string[] }>>();
  /** pid → the inodes of every socket it holds (a holder's listening sockets are looked up among them). */
  private readonly byPid = new Map<number, number[]>();

  constructor(readonly uid: number) {
    for (const entry of readdirSync('/proc')) {
      if (entry.charCodeAt(0) > 57) continue; // not a pid (digits sort first)
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid === process.pid) continue;
      try {
        // The pid directory keeps the process's euid even when it is not dumpable (only the files inside turn root's,
        // and root reads them): prctl(PR_SET_DUMPABLE, 0) does not hide a holder (identity-attacks-2, 15).
        if (statSync(`/proc/${entry}`).uid !== uid) continue;
      } catch {
        continue; // exited
      }
      this.readSockets(pid);
    }
  }

  /** The inodes of every socket the process held when it was scanned. */
  socketsOf(pid: number): readonly number[] {
    return this.byPid.get(pid) ?? [];
  }

  /** Every process of the scanned uid holding the socket. */
  holders(inode: number): Holder[] {
    const held = this.bySocket.get(`socket:[${inode}]`) ?? [];
    return held.map(({ pid, fds }) => ({ pid, inherited: fds.some((fd) => !hasCloexec(pid, fd)) }));
  }

  /** The process's socket descriptors, re-listed while new ones appear (a socket moved by dup2 is found). */
  private readSockets(pid: number): void {
    const seen = new Set<string>();
    const mine = new Map<string, string[]>();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let listed: string[];
      try {
        listed = readdirSync(`/proc/${pid}/fd`);
      } catch {
        break; // exited (or not readable: not ours)
      }
      let fresh = 0;
      for (const fd of listed) {
        if (seen.has(fd)) continue;
        seen.add(fd);
        fresh++;
        try {
          const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
          if (link.startsWith('socket:[')) mine.set(link, [...(mine.get(link) ?? []), fd]);
        } catch {
          /* closed while we looked: whatever it was, it is gone */
        }
      }
      if (fresh === 0) break; // the usual case: one extra readdir per process
    }
    for (const [link, fds] of mine) {
      const list = this.bySocket.get(link);
      if (list) list.push({ pid, fds });
      else this.bySocket.set(link, [{ pid, fds }]);
    }
    if (mine.size > 0) this.byPid.set(pid, [...mine.keys()].map((link) => Number(link.slice(8, -1))));
  }
}
