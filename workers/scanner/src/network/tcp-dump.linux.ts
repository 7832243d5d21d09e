// Established TCP sockets from the kernel by netlink sock_diag: one dump request per address family, answered in batches
// of inet_diag_msg (no /proc/net/tcp text to format and parse). shared/native's SockDiag answers one exact 4-tuple only.
import { RaypherError } from '@raypher/shared/errors';
import { libc } from '@raypher/shared/native';
import type { TcpConnection } from './tcp-connections.js';

const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const IPPROTO_TCP = 6;
const SOCK_DIAG_BY_FAMILY = 20;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;
const TCPF_ESTABLISHED = 1 << 1;
const NLMSGHDR_BYTES = 16;
const REQUEST_BYTES = NLMSGHDR_BYTES + 56; // nlmsghdr + inet_diag_req_v2
/** inet_diag_msg offsets: family, state, timer, retrans, then inet_diag_sockid (sport, dport, src[16], dst[16], if, cookie[2]). */
const MSG_DPORT = 6;
const MSG_DST = 24;
const MSG_INODE = 68;
const MSG_BYTES = 72;
/** recv() calls with nothing queued before a dump counts as stuck (the kernel refills during recv, so this is rare). */
const MAX_EMPTY_READS = 64;

/** One netlink socket for the scanner's dumps; any failure throws ERR_NATIVE_CALL (the caller falls back to /proc/net). */
export class TcpDump {
  private fd = -1;
  private seq = 0;
  private readonly reply = Buffer.alloc(64 * 1024);

  /** Established connections whose remote port passes `port`; the address is decoded only for those. */
  established(port: (p: number) => boolean): TcpConnection[] {
    return [...this.dump(AF_INET, port), ...this.dump(AF_INET6, port)];
  }

  close(): void {
    if (this.fd >= 0) libc().close(this.fd);
    this.fd = -1;
  }

  private dump(family: number, port: (p: number) => boolean): TcpConnection[] {
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
    req.writeUInt32LE(TCPF_ESTABLISHED, 20);
    if (c.send(this.fd, req, req.length, 0) !== req.length) this.fail(`sock_diag dump send failed with errno ${c.errno()}`);
    const out: TcpConnection[] = [];
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
            const m = off + NLMSGHDR_BYTES;
            const remotePort = this.reply.readUInt16BE(m + MSG_DPORT);
            if (port(remotePort)) out.push({ remoteIp: address(this.reply, m + MSG_DST, this.reply.readUInt8(m) === AF_INET6), remotePort, inode: this.reply.readUInt32LE(m + MSG_INODE) });
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
