// Netlink sock_diag: asks the kernel for one TCP socket's owner uid and inode (no /proc/net/tcp parse).
import { isIPv4 } from 'node:net';
import { RaypherError } from '../errors/index.js';
import { libc } from './libc.js';
import {
  AF_INET, AF_INET6, AF_NETLINK, AF_UNIX, INET_DIAG_MSG, INET_DIAG_REQUEST_BYTES, IPPROTO_TCP, MSG_DONTWAIT, NETLINK_SOCK_DIAG, NLM_F_REQUEST, NLMSG_ERROR,
  NLMSGHDR_BYTES, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_DIAG_BY_FAMILY,
} from './netlink.js';

const MAX_STALE_REPLIES = 4;
const REQUEST_BYTES = INET_DIAG_REQUEST_BYTES;
const MSG_UID_OFFSET = INET_DIAG_MSG.uid;
const MSG_INODE_OFFSET = INET_DIAG_MSG.inode;
const UDIAG_SHOW_PEER = 0x4;
const UNIX_DIAG_PEER = 2;
const UNIX_MSG_BYTES = 16;

export interface TcpEndpoint {
  ip: string;
  port: number;
}

export interface SocketOwner {
  uid: number;
  inode: number;
}

/** One netlink socket, reused for every lookup by its owner (one per identification thread). */
export class SockDiag {
  private fd = -1;
  private seq = 0;
  private readonly reply = Buffer.alloc(8192);

  /** The socket whose local end is `local` and remote end is `remote`; null when the kernel has none. */
  tcpOwner(local: TcpEndpoint, remote: TcpEndpoint): SocketOwner | null {
    const seq = ++this.seq;
    return decodeReply(this.exchange(encodeRequest(local, remote, seq), seq), seq);
  }

  /** Sends one request and returns its reply (a view of the reply buffer, valid until the next exchange). */
  private exchange(req: Buffer, seq: number): Buffer {
    const c = libc();
    if (this.fd < 0) {
      this.fd = c.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
      if (this.fd < 0) throw new RaypherError('ERR_NATIVE_CALL', `socket(AF_NETLINK, NETLINK_SOCK_DIAG) failed with errno ${c.errno()}`);
    }
    if (c.send(this.fd, req, req.length, 0) !== req.length) throw new RaypherError('ERR_NATIVE_CALL', `sock_diag send failed with errno ${c.errno()}`);
    // The kernel answers a netlink request before send() returns, so a non-blocking read never waits.
    // A reply to an earlier lookup that failed halfway may still be queued: skip it.
    for (let stale = 0; stale < MAX_STALE_REPLIES; stale++) {
      const n = c.recv(this.fd, this.reply, this.reply.length, MSG_DONTWAIT);
      if (n < NLMSGHDR_BYTES) throw new RaypherError('ERR_NATIVE_CALL', `sock_diag recv failed with errno ${c.errno()}`);
      if (this.reply.readUInt32LE(8) === seq) return this.reply.subarray(0, n);
    }
    throw new RaypherError('ERR_NATIVE_CALL', 'sock_diag replies out of sequence');
  }

  /** The inode of the client end of a Unix socket connection, from our (server) end's inode; null if it is gone. */
  unixPeer(serverInode: number): number | null {
    const seq = ++this.seq;
    const reply = this.exchange(encodeUnixRequest(serverInode, seq), seq);
    if (reply.readUInt16LE(4) === NLMSG_ERROR) {
      const errno = -reply.readInt32LE(NLMSGHDR_BYTES);
      if (errno === 2) return null;
      throw new RaypherError('ERR_NATIVE_CALL', `sock_diag unix lookup failed with errno ${errno}`);
    }
    // unix_diag_msg (16 bytes), then rtattrs: UNIX_DIAG_PEER carries the peer's inode.
    for (let off = NLMSGHDR_BYTES + UNIX_MSG_BYTES; off + 4 <= reply.length; ) {
      const len = reply.readUInt16LE(off);
      if (len < 4) break;
      if (reply.readUInt16LE(off + 2) === UNIX_DIAG_PEER && len >= 8) return reply.readUInt32LE(off + 4);
      off += (len + 3) & ~3;
    }
    return null;
  }

  close(): void {
    if (this.fd >= 0) libc().close(this.fd);
    this.fd = -1;
  }
}

export function encodeRequest(local: TcpEndpoint, remote: TcpEndpoint, seq: number): Buffer {
  const b = Buffer.alloc(REQUEST_BYTES);
  b.writeUInt32LE(REQUEST_BYTES, 0);
  b.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
  b.writeUInt16LE(NLM_F_REQUEST, 6);
  b.writeUInt32LE(seq, 8);
  const v4 = isIPv4(local.ip);
  b.writeUInt8(v4 ? AF_INET : AF_INET6, 16);
  b.writeUInt8(IPPROTO_TCP, 17);
  b.writeUInt32LE(0xffffffff, 20); // every TCP state
  b.writeUInt16BE(local.port, 24);
  b.writeUInt16BE(remote.port, 26);
  addressBytes(local.ip).copy(b, 28);
  addressBytes(remote.ip).copy(b, 44);
  b.writeUInt32LE(0xffffffff, 64); // INET_DIAG_NOCOOKIE
  b.writeUInt32LE(0xffffffff, 68);
  return b;
}

/** unix_diag_req for one socket by inode, asking for its peer. */
function encodeUnixRequest(inode: number, seq: number): Buffer {
  const b = Buffer.alloc(NLMSGHDR_BYTES + 24);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
  b.writeUInt16LE(NLM_F_REQUEST, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt8(AF_UNIX, 16);
  b.writeUInt32LE(0xffffffff, 20); // every state
  b.writeUInt32LE(inode, 24);
  b.writeUInt32LE(UDIAG_SHOW_PEER, 28);
  b.writeUInt32LE(0xffffffff, 32); // no cookie
  b.writeUInt32LE(0xffffffff, 36);
  return b;
}

export function decodeReply(reply: Buffer, seq: number): SocketOwner | null {
  const type = reply.readUInt16LE(4);
  if (reply.readUInt32LE(8) !== seq) throw new RaypherError('ERR_NATIVE_CALL', 'sock_diag reply out of sequence');
  if (type === NLMSG_ERROR) {
    const errno = -reply.readInt32LE(NLMSGHDR_BYTES);
    if (errno === 2) return null; // ENOENT: no such socket (the client already closed it)
    throw new RaypherError('ERR_NATIVE_CALL', `sock_diag lookup failed with errno ${errno}`);
  }
  if (type !== SOCK_DIAG_BY_FAMILY || reply.length < NLMSGHDR_BYTES + MSG_INODE_OFFSET + 4) {
    throw new RaypherError('ERR_NATIVE_CALL', `sock_diag sent an unexpected reply (type ${type}, ${reply.length} bytes)`);
  }
  return { uid: reply.readUInt32LE(NLMSGHDR_BYTES + MSG_UID_OFFSET), inode: reply.readUInt32LE(NLMSGHDR_BYTES + MSG_INODE_OFFSET) };
}

/** An address as the kernel's 16-byte sockid field holds it: an IPv4 address fills the first 4 bytes, network order. */
export function addressBytes(ip: string): Buffer {
  const out = Buffer.alloc(16);
  if (isIPv4(ip)) {
    ip.split('.').forEach((o, i) => out.writeUInt8(Number(o), i));
    return out;
  }
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const words = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  words.forEach((w, i) => out.writeUInt16BE(parseInt(w, 16), i * 2));
  return out;
}
