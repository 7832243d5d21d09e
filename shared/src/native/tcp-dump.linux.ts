// TCP sockets from the kernel by netlink sock_diag, established or listening: one dump request per address family,
// answered in batches of inet_diag_msg (no /proc/net/tcp text to format and parse). SockDiag (sock-diag.linux.ts)
// answers one exact 4-tuple.
import { RaypherError } from '../errors/index.js';
import { libc } from './libc.js';
import {
  AF_INET, AF_INET6, AF_NETLINK, INET_DIAG_MSG, INET_DIAG_REQUEST_BYTES, IPPROTO_TCP, MSG_DONTWAIT, NETLINK_SOCK_DIAG, NLM_F_DUMP, NLM_F_REQUEST,
  NLMSG_DONE, NLMSG_ERROR, NLMSGHDR_BYTES, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_DIAG_BY_FAMILY,
} from './netlink.js';

const EAGAIN = 11;
const TCPF_ESTABLISHED = 1 << 1;
const TCPF_LISTEN = 1 << 10;
const REQUEST_BYTES = INET_DIAG_REQUEST_BYTES;
const MSG_SPORT = INET_DIAG_MSG.sport;
const MSG_SRC = INET_DIAG_MSG.src;
const MSG_DPORT = INET_DIAG_MSG.dport;
const MSG_DST = INET_DIAG_MSG.dst;
const MSG_INODE = INET_DIAG_MSG.inode;
const MSG_BYTES = INET_DIAG_MSG.bytes;

/** An established TCP connection: the remote end, and the local socket's inode (who holds it: /proc/<pid>/fd). */
export interface EstablishedTcp {
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly inode: number;
}

/** A listening TCP socket: its local address and port, and its inode (who holds it: /proc/<pid>/fd). */
export interface ListeningTcp {
  readonly ip: string;
  readonly port: number;
  readonly inode: number;
}

/** recv() calls with nothing queued before a dump counts as stuck (the kernel refills during recv, so this is rare). */
const MAX_EMPTY_READS = 64;

/** One netlink socket for the scanner's dumps; any failure throws ERR_NATIVE_CALL (the caller falls back to /proc/net). */
export class TcpDump {
  private fd = -1;
  private seq = 0;
  private readonly reply = Buffer.alloc(64 * 1024);

  /** Established connections whose remote port passes `port`; the address is decoded only for those. */
  established(port: (p: number) => boolean): EstablishedTcp[] {
    const row = (b: Buffer, m: number): EstablishedTcp | null => {
      const remotePort = b.readUInt16BE(m + MSG_DPORT);
      return port(remotePort) ? { remoteIp: address(b, m + MSG_DST, b.readUInt8(m) === AF_INET6), remotePort, inode: b.readUInt32LE(m + MSG_INODE) } : null;
    };
    return [...this.dump(AF_INET, TCPF_ESTABLISHED, row), ...this.dump(AF_INET6, TCPF_ESTABLISHED, row)];
  }

  /** Every listening TCP socket (a machine has few: one dump each for IPv4 and IPv6 fits in a reply or two). */
  listening(): ListeningTcp[] {
    const row = (b: Buffer, m: number): ListeningTcp => ({ ip: address(b, m + MSG_SRC, b.readUInt8(m) === AF_INET6), port: b.readUInt16BE(m + MSG_SPORT), inode: b.readUInt32LE(m + MSG_INODE) });
    return [...this.dump(AF_INET, TCPF_LISTEN, row), ...this.dump(AF_INET6, TCPF_LISTEN, row)];
  }

  close(): void {
    if (this.fd >= 0) libc().close(this.fd);
    this.fd = -1;
  }

  /** The sockets of one address family in `states`, each decoded by `row` (null: not wanted). */
  private dump<T>(family: number, states: number, row: (b: Buffer, msgAt: number) => T | null): T[] {
    const c = libc();
    if (this.fd < 0) {
      this.fd = c.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
      if (this.fd < 0) throw new RaypherError('ERR_NATIVE_CALL', `socket(AF_NETLINK, NETLINK_SOCK_DIAG) failed with errno ${c.errno()}`);
    }
    const seq = ++this.seq;
    const req = Buffer.alloc(REQUEST_BYTES);
    req.writeUInt32LE(REQUEST_BYTES, 0);
    req.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
    req.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
    req.writeUInt32LE(seq, 8);
    req.writeUInt8(family, 16);
    req.writeUInt8(IPPROTO_TCP, 17);
    req.writeUInt32LE(states, 20);
    if (c.send(this.fd, req, req.length, 0) !== req.length) this.fail(`sock_diag dump send failed with errno ${c.errno()}`);
    const out: T[] = [];
    for (let empty = 0; empty < MAX_EMPTY_READS; ) {
      const n = c.recv(this.fd, this.reply, this.reply.length, MSG_DONTWAIT);
      if (n < 0) {
        if (c.errno() !== EAGAIN) this.fail(`sock_diag dump recv failed with errno ${c.errno()}`);
        empty++;
        continue;
      }
      for (let off = 0; off + NLMSGHDR_BYTES <= n; ) {
        const len = this.reply.readUInt32LE(off);
        const type = this.reply.readUInt16LE(off + 4);
        if (len < NLMSGHDR_BYTES || off + len > n) this.fail('sock_diag dump sent a truncated message');
        if (this.reply.readUInt32LE(off + 8) === seq) {
          if (type === NLMSG_DONE) return out;
          if (type === NLMSG_ERROR) this.fail(`sock_diag dump failed with errno ${-this.reply.readInt32LE(off + NLMSGHDR_BYTES)}`);
          if (type === SOCK_DIAG_BY_FAMILY && len >= NLMSGHDR_BYTES + MSG_BYTES) {
            const r = row(this.reply, off + NLMSGHDR_BYTES);
            if (r !== null) out.push(r);
          }
        }
        off += (len + 3) & ~3;
      }
    }
    return this.fail('sock_diag dump did not finish');
  }

  /** A dump left halfway leaves replies queued: the socket is dropped so the next dump starts clean. */
  private fail(message: string): never {
    this.close();
    throw new RaypherError('ERR_NATIVE_CALL', message);
  }
}

/** An address from the 16-byte sockid field: IPv4 fills the first 4 bytes; an IPv4-mapped IPv6 address reads as IPv4. */
function address(b: Buffer, at: number, v6: boolean): string {
  if (!v6) return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  const mapped = b.readUInt32BE(at) === 0 && b.readUInt32BE(at + 4) === 0 && b.readUInt32BE(at + 8) === 0xffff;
  if (mapped) return `${b[at + 12]}.${b[at + 13]}.${b[at + 14]}.${b[at + 15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(at + i).toString(16));
  return groups.join(':');
}
