// SO_PEERCRED on a connected Unix socket: the kernel's word on who is on the other end.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { RaypherError } from '../errors/index.js';
import { libc } from './libc.js';

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
const UCRED_BYTES = 12;

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
  /** Supplementary groups of the peer process, read from /proc (empty if it already exited). */
  groups: number[];
}

export function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new RaypherError('ERR_NATIVE_CALL', 'the socket has no file descriptor');
  return fd;
}

export function peerCredLinux(socket: Socket): PeerCred {
  const buf = Buffer.alloc(UCRED_BYTES);
  const len = [UCRED_BYTES];
  const rc = libc().getsockopt(socketFd(socket), SOL_SOCKET, SO_PEERCRED, buf, len);
  if (rc !== 0) throw new RaypherError('ERR_NATIVE_CALL', `getsockopt(SO_PEERCRED) failed with errno ${libc().errno()}`);
  const pid = buf.readInt32LE(0);
  return { pid, uid: buf.readUInt32LE(4), gid: buf.readUInt32LE(8), groups: readGroups(pid) };
}

function readGroups(pid: number): number[] {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const line = status.split('\n').find((l) => l.startsWith('Groups:'));
    return line ? line.slice(7).trim().split(/\s+/).filter(Boolean).map(Number) : [];
  } catch {
    return [];
  }
}
