// Linux caller identification: netlink sock_diag (or /proc/net) for the socket, /proc/<pid>/fd for its holders.
import { readlinkSync } from 'node:fs';
import { FileHasher } from './file-hash.js';
import { findHolders, startTimeOf, type Holder } from './holders.js';
import type { Caller, CallerIdentifier, Connection } from './index.js';
import { runningCode } from './interpreter.js';
import { SocketOwnerLookup } from './proc-net.js';

export class LinuxIdentifier implements CallerIdentifier {
  private readonly hasher = new FileHasher();
  private readonly owners = new SocketOwnerLookup();

  identify(connection: Connection): Caller[] {
    if (connection.kind === 'unix') return this.describe({ pid: connection.pid, startTime: startTimeOf(connection.pid) }, connection.uid);
    const owner = this.owners.find(connection.client, connection.server);
    if (!owner) return [];
    return findHolders(owner.inode, owner.uid).flatMap((h) => this.describe(h, owner.uid));
  }

  private describe(h: Holder, uid: number): Caller[] {
    try {
      const exePath = readlinkSync(`/proc/${h.pid}/exe`).replace(/ \(deleted\)$/, '');
      const exeHash = this.hasher.hash(`/proc/${h.pid}/exe`);
      const code = runningCode(h.pid, exePath);
      const scriptHash = code.kind === 'script' ? this.hashOrNull(code.path) : null;
      return [{ pid: h.pid, startTime: h.startTime, uid, exePath, exeHash, code, scriptHash }];
    } catch {
      return []; // exited while we looked
    }
  }

  private hashOrNull(path: string): string | null {
    try {
      return this.hasher.hash(path);
    } catch {
      return null;
    }
  }
}
