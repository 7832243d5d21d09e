// Who is on the other end of a proxy connection: every process holding the socket (TCP) or the SO_PEERCRED peer (unix), with exe and script hashes.
import { readlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { RaypherError } from '@raypher/shared/errors';
import { peerCred } from '@raypher/shared/native';
import { FileHasher } from './file-hash.js';
import { findHolders, startTimeOf, type Holder } from './holders.js';
import { runningCode, type RunningCode } from './interpreter.js';
import { SocketOwnerLookup } from './proc-net.js';

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

/** A TCP connection's two ends (the process is found from the client's socket), or a Unix socket peer from SO_PEERCRED. */
export type Connection =
  | { kind: 'tcp'; client: { ip: string; port: number }; server: { ip: string; port: number } }
  | { kind: 'unix'; pid: number; uid: number };

export function connectionOf(socket: Socket): Connection {
  if (socket.remoteAddress === undefined && socket.localPort === undefined) {
    const { pid, uid } = peerCred(socket); // the kernel's word, taken at connect()
    return { kind: 'unix', pid, uid };
  }
  return { kind: 'tcp', client: { ip: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }, server: { ip: socket.localAddress ?? '', port: socket.localPort ?? 0 } };
}

export class CallerIdentifier {
  private readonly hasher = new FileHasher();
  private readonly owners = new SocketOwnerLookup();

  /** Every process holding the client's end of the connection, with what each one runs. */
  identify(connection: Connection): Caller[] {
    if (process.platform !== 'linux') {
      throw new RaypherError('ERR_PROXY_IDENTITY_UNSUPPORTED', `caller identification is implemented for Linux only (this is ${process.platform}); see docs/proxy.md`);
    }
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
