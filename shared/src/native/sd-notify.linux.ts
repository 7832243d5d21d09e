// sd_notify(3) without libsystemd: one AF_UNIX datagram per state change to $NOTIFY_SOCKET.
import { RaypherError } from '../errors/index.js';
import { libc } from './libc.js';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
const SUN_PATH_MAX = 108;

/** Encodes sockaddr_un; a leading '@' names an abstract socket (leading NUL byte). */
export function sockaddrUn(path: string): { addr: Buffer; length: number } {
  const abstract = path.startsWith('@');
  const bytes = Buffer.from(abstract ? `\0${path.slice(1)}` : path, 'utf8');
  if (bytes.length >= SUN_PATH_MAX) throw new RaypherError('ERR_NATIVE_SDNOTIFY', `NOTIFY_SOCKET path is too long (${bytes.length} bytes)`);
  const addr = Buffer.alloc(2 + SUN_PATH_MAX);
  addr.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(addr, 2);
  return { addr, length: 2 + bytes.length + (abstract ? 0 : 1) };
}

export function sendNotifyLinux(socketPath: string, message: string): void {
  const c = libc();
  const { addr, length } = sockaddrUn(socketPath);
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new RaypherError('ERR_NATIVE_SDNOTIFY', `socket(AF_UNIX, SOCK_DGRAM) failed with errno ${c.errno()}`);
  try {
    const payload = Buffer.from(message, 'utf8');
    const sent = Number(c.sendto(fd, payload, payload.length, MSG_NOSIGNAL, addr, length));
    if (sent !== payload.length) throw new RaypherError('ERR_NATIVE_SDNOTIFY', `sendto ${socketPath} failed with errno ${c.errno()}`);
  } finally {
    c.close(fd);
  }
}
