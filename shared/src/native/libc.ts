// Lazily bound libc functions through koffi (Node has no API for peer credentials, datagram or netlink sockets, or flock).
import koffi from 'koffi';
import { RaypherError } from '../errors/index.js';

export interface Libc {
  getsockopt(fd: number, level: number, name: number, value: Buffer, length: number[]): number;
  socket(domain: number, type: number, protocol: number): number;
  sendto(fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, addrLen: number): number;
  send(fd: number, buf: Buffer, len: number, flags: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  /** recv() on a libuv pool thread: for a socket that blocks until the kernel has something to say. */
  recvAsync(fd: number, buf: Buffer, len: number, flags: number): Promise<number>;
  bind(fd: number, addr: Buffer, addrLen: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  close(fd: number): number;
  flock(fd: number, op: number): number;
  errno(): number;
}

let cached: Libc | undefined;

/** Bound once per process on first use; nothing is loaded on import. */
export function libc(): Libc {
  if (cached) return cached;
  if (process.platform !== 'linux') {
    throw new RaypherError('ERR_NATIVE_UNSUPPORTED', `libc bindings are implemented for Linux only (this is ${process.platform})`);
  }
  const lib = koffi.load('libc.so.6');
  const recv = lib.func('intptr_t recv(int, _Out_ uint8_t *buf, size_t len, int flags)');
  cached = {
    getsockopt: lib.func('int getsockopt(int, int, int, _Out_ uint8_t *value, _Inout_ uint32_t *len)'),
    socket: lib.func('int socket(int, int, int)'),
    sendto: lib.func('intptr_t sendto(int, const uint8_t *buf, size_t len, int flags, const uint8_t *addr, uint32_t addrlen)'),
    send: lib.func('intptr_t send(int, const uint8_t *buf, size_t len, int flags)'),
    recv,
    recvAsync: (fd, buf, len, flags) =>
      new Promise((resolve, reject) => recv.async(fd, buf, len, flags, (err: unknown, n: number) => (err ? reject(err as Error) : resolve(n)))),
    bind: lib.func('int bind(int, const uint8_t *addr, uint32_t len)'),
    setsockopt: lib.func('int setsockopt(int, int, int, const uint8_t *value, uint32_t len)'),
    close: lib.func('int close(int)'),
    flock: lib.func('int flock(int, int)'),
    errno: () => koffi.errno(),
  };
  return cached;
}
