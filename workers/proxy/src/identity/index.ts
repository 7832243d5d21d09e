// Who is on the other end of a proxy connection: every process holding the socket, with exe and script hashes.
import { readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { RaypherError } from '@raypher/shared/errors';
import { FileHasher } from './file-hash.js';
import { findHolders } from './holders.js';
import { runningCode, type RunningCode } from './interpreter.js';
import { findSocketOwner } from './proc-net.js';

export interface Caller {
  pid: number;
  startTime: number;
  uid: number;
  exePath: string;
  exeHash: string;
  code: RunningCode;
  /** SHA-256 of the script file when code.kind === 'script'. */
  scriptHash: string | null;
}

export interface Connection {
  client: { ip: string; port: number };
  server: { ip: string; port: number };
}

export function connectionOf(socket: Socket): Connection {
  return { client: { ip: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }, server: { ip: socket.localAddress ?? '', port: socket.localPort ?? 0 } };
}

export class CallerIdentifier {
  private readonly hasher = new FileHasher();

  /** All processes holding the client's end of this TCP connection (Linux), from its addresses. */
  identifyConnection({ client, server }: Connection): Caller[] {
    if (process.platform !== 'linux') {
      throw new RaypherError('ERR_PROXY_IDENTITY_UNSUPPORTED', `caller identification is implemented for Linux only (this is ${process.platform}); see docs/proxy.md`);
    }
    const owner = findSocketOwner(client, server);
    if (!owner) return [];
    return findHolders(owner.inode, owner.uid).flatMap((h) => {
      try {
        const exePath = readlinkSync(`/proc/${h.pid}/exe`).replace(/ \(deleted\)$/, '');
        const exeHash = this.hasher.hash(`/proc/${h.pid}/exe`);
        const code = runningCode(h.pid, exePath);
        const scriptHash = code.kind === 'script' ? this.hashOrNull(code.path) : null;
        return [{ pid: h.pid, startTime: h.startTime, uid: owner.uid, exePath, exeHash, code, scriptHash }];
      } catch {
        return []; // exited while we looked
      }
    });
  }

  hashFile(path: string): string {
    return this.hasher.hash(path);
  }

  private hashOrNull(path: string): string | null {
    try {
      return this.hasher.hash(path);
    } catch {
      return null;
    }
  }
}
