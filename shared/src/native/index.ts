// One interface over the platform's native facilities; platform files are chosen here at call time.
import type { Socket } from 'node:net';
import { RaypherError } from '../errors/index.js';
import { tryLockLinux } from './flock.linux.js';
import { peerCredLinux, type PeerCred } from './peer-cred.linux.js';
export { socketFd } from './peer-cred.linux.js';
import { sendNotifyLinux } from './sd-notify.linux.js';

export type { PeerCred };
// Linux only: on other platforms its first lookup throws ERR_NATIVE_UNSUPPORTED from the libc binding.
export { SockDiag, addressBytes, type SocketOwner, type TcpEndpoint } from './sock-diag.linux.js';

function unsupported(what: string): never {
  // As of 2026-11: Windows (named-pipe client token) and macOS (LOCAL_PEERCRED) are designed but not built.
  throw new RaypherError('ERR_NATIVE_UNSUPPORTED', `${what} is not implemented on ${process.platform} yet; Linux is the supported platform`);
}

export function peerCred(socket: Socket): PeerCred {
  return process.platform === 'linux' ? peerCredLinux(socket) : unsupported('reading peer credentials');
}

export function sendNotify(socketPath: string, message: string): void {
  if (process.platform === 'linux') sendNotifyLinux(socketPath, message);
  else unsupported('sd_notify');
}

export function tryLock(fd: number): boolean {
  return process.platform === 'linux' ? tryLockLinux(fd) : unsupported('flock');
}
// Linux only, like SockDiag: process exec/exit events for the proxy's exec ledger.
export { ProcConnector, type ProcEvent, type ProcConnectorHandlers } from './proc-connector.linux.js';
// Linux only: when data last arrived on one of our TCP sockets (the proxy's exec-after-connect check).
export { tcpLastDataRecvMs } from './tcp-info.linux.js';
// Linux only: sock_diag dumps of established TCP sockets (the scanner's proxy.bypass) and of listening ones (the
// proxy's open-inspector check).
export { TcpDump, type EstablishedTcp, type ListeningTcp } from './tcp-dump.linux.js';
