// Who is on the other end of a proxy connection: the interface, and the platform implementation chosen at run time.
import type { Socket } from 'node:net';
import { RaypherError } from '@raypher/shared/errors';
import { peerCred } from '@raypher/shared/native';
import type { RunningCode } from './interpreter.js';
import { LinuxIdentifier } from './linux.js';

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

export interface CallerIdentifier {
  /** Every process holding the client's end of the connection, with what each one runs. */
  identify(connection: Connection): Caller[];
}

/** As of 2026-11 only Linux is built; Windows (GetExtendedTcpTable) and macOS (libproc) refuse every caller. */
export function createIdentifier(platform: NodeJS.Platform = process.platform): CallerIdentifier {
  if (platform === 'linux') return new LinuxIdentifier();
  return {
    identify() {
      throw new RaypherError('ERR_PROXY_IDENTITY_UNSUPPORTED', `caller identification is implemented for Linux only (this is ${platform}); see docs/proxy.md`);
    },
  };
}
