// Who is on the other end of a proxy connection: the interface, and the platform implementation chosen at run time.
import type { Socket } from 'node:net';
import { RaypherError } from '@raypher/shared/errors';
import { peerCred, socketFd, tcpLastDataRecvMs } from '@raypher/shared/native';
import type { Caller } from './decide.js';
import type { ExecLedger } from './exec-ledger.js';
import type { FileHasher } from './file-hash.js';
import { LinuxCallers } from './linux.js';

/** A TCP connection's two ends (the process is found from the client's socket), or a Unix socket with our end's fd. */
export type Connection = (
  | { kind: 'tcp'; client: { ip: string; port: number }; server: { ip: string; port: number } }
  | { kind: 'unix'; pid: number; uid: number; serverFd: number }
) & {
  /** When the proxy asked about it (process.hrtime.bigint(), one clock for every thread): a /proc scan begun later may answer. */
  askedNs?: bigint;
};

export function connectionOf(socket: Socket): Connection {
  if (socket.remoteAddress === undefined && socket.localPort === undefined) {
    const { pid, uid } = peerCred(socket); // the kernel's word, taken at connect()
    return { kind: 'unix', pid, uid, serverFd: socketFd(socket), askedNs: process.hrtime.bigint() };
  }
  return { kind: 'tcp', client: { ip: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }, server: { ip: socket.localAddress ?? '', port: socket.localPort ?? 0 }, askedNs: process.hrtime.bigint() };
}

/**
 * Jiffy resolution of TCP_INFO (HZ may be 100): a program that exec'd this soon before the request's bytes arrived
 * counts as having exec'd after them. Interpreters need tens of milliseconds before they can send anything.
 */
const DATA_TIME_SLACK_NS = 10_000_000n;

/**
 * The moment by which the connection existed and carried the request: the accept time, or, when the kernel says the
 * bytes arrived earlier (a client that wrote the request and then exec'd while the proxy was busy accepting), that.
 * A holder that exec'd after it did not make the connection (decide.ts, exec_after_connect).
 */
export function connectionMadeBy(socket: Socket, acceptedNs: bigint): bigint {
  if (socket.remoteAddress === undefined) return acceptedNs; // unix socket: SO_PEERCRED names the connecting process
  try {
    const dataNs = process.hrtime.bigint() - BigInt(tcpLastDataRecvMs(socketFd(socket))) * 1_000_000n - DATA_TIME_SLACK_NS;
    return dataNs < acceptedNs ? dataNs : acceptedNs;
  } catch {
    return acceptedNs; // closed meanwhile: the identification fails on its own
  }
}

export interface CallerSource {
  /** Every process holding the client's end of the connection, with what each one executed. */
  callers(connection: Connection): Caller[];
}

/** As of 2026-11 only Linux is built; Windows (GetExtendedTcpTable) and macOS (libproc) refuse every caller. */
export function createCallerSource(ledger: ExecLedger, hasher: FileHasher, platform: NodeJS.Platform = process.platform): CallerSource {
  if (platform === 'linux') return new LinuxCallers(ledger, hasher);
  return {
    callers() {
      throw new RaypherError('ERR_PROXY_IDENTITY_UNSUPPORTED', `caller identification is implemented for Linux only (this is ${platform}); see docs/proxy.md`);
    },
  };
}
