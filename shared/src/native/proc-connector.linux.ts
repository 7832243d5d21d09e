// The kernel's process-events connector (netlink NETLINK_CONNECTOR, CN_IDX_PROC): exec and exit events as they happen.
import { RaypherError } from '../errors/index.js';
import { libc } from './libc.js';
import { AF_NETLINK, MSG_DONTWAIT, NETLINK_CONNECTOR, NLMSG_DONE, NLMSGHDR_BYTES, SOCK_CLOEXEC, SOCK_DGRAM } from './netlink.js';

const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SO_RCVBUFFORCE = 33;
const CN_IDX_PROC = 1;
const CN_VAL_PROC = 1;
const PROC_CN_MCAST_LISTEN = 1;
const CN_MSG_BYTES = 20;
/** Offsets inside one netlink message: nlmsghdr, cn_msg, then struct proc_event (what, cpu, timestamp_ns, data). */
const EVENT_WHAT = NLMSGHDR_BYTES + CN_MSG_BYTES;
const EVENT_TIMESTAMP = EVENT_WHAT + 8;
const EVENT_DATA = EVENT_WHAT + 16;
const PROC_EVENT_NONE = 0;
const PROC_EVENT_FORK = 0x1;
const PROC_EVENT_EXEC = 0x2;
const PROC_EVENT_EXIT = 0x80000000;
/** A big receive buffer, so a burst of execs (a build) is not dropped while the reader is busy (ENOBUFS otherwise). */
const RCVBUF_BYTES = 8 * 1024 * 1024;
/** recv() wakes up this often with nothing to read, so close() is noticed; exec events end the wait at once. */
const RECV_TIMEOUT_MS = 250;

export type ProcEvent =
  /** tgid exec'd; timestampNs is CLOCK_MONOTONIC, the clock of process.hrtime.bigint(). */
  | { kind: 'exec'; pid: number; timestampNs: bigint }
  | { kind: 'exit'; pid: number }
  /** A new process (not a thread) forked from parentPid: it runs what its parent ran until it execs. */
  | { kind: 'fork'; pid: number; parentPid: number }
  /** The kernel's answer to the subscription: errno 0, or EPERM without CAP_NET_ADMIN. */
  | { kind: 'ack'; errno: number };

export interface ProcConnectorHandlers {
  onEvent(event: ProcEvent): void;
  onError(err: Error): void;
}

/** Subscribes to process events and reads them on a libuv pool thread until close(). */
export class ProcConnector {
  private fd = -1;
  private closed = false;
  private readonly buf = Buffer.alloc(64 * 1024);
  private readonly drainBuf = Buffer.alloc(64 * 1024);

  constructor(private readonly handlers: ProcConnectorHandlers) {}

  /** Opens, binds and subscribes; events (the ack first) arrive through the handlers. */
  open(): void {
    const c = libc();
    this.fd = c.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (this.fd < 0) throw new RaypherError('ERR_NATIVE_CALL', `socket(AF_NETLINK, NETLINK_CONNECTOR) failed with errno ${c.errno()}`);
    const size = Buffer.alloc(4);
    size.writeInt32LE(RCVBUF_BYTES);
    c.setsockopt(this.fd, SOL_SOCKET, SO_RCVBUFFORCE, size, 4); // root only; the default buffer otherwise
    const timeout = Buffer.alloc(16); // struct timeval
    timeout.writeBigInt64LE(0n, 0);
    timeout.writeBigInt64LE(BigInt(RECV_TIMEOUT_MS * 1000), 8);
    c.setsockopt(this.fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16);
    const addr = Buffer.alloc(12); // sockaddr_nl: family, pad, pid (0: the kernel picks), groups
    addr.writeUInt16LE(AF_NETLINK, 0);
    addr.writeUInt32LE(CN_IDX_PROC, 8);
    if (c.bind(this.fd, addr, addr.length) !== 0) {
      const errno = c.errno();
      this.close();
      throw new RaypherError('ERR_NATIVE_CALL', `bind(NETLINK_CONNECTOR, CN_IDX_PROC) failed with errno ${errno}`);
    }
    const listen = encodeListen();
    if (c.send(this.fd, listen, listen.length, 0) !== listen.length) {
      const errno = c.errno();
      this.close();
      throw new RaypherError('ERR_NATIVE_CALL', `subscribing to process events failed with errno ${errno}`);
    }
    void this.readLoop();
  }

  /**
   * Reads, without waiting, every event the kernel has queued, on the calling thread: before a decision about a
   * process with no record, its exec event may still be waiting in the socket.
   */
  drain(): void {
    if (this.fd < 0 || this.closed) return;
    const c = libc();
    for (;;) {
      const n = c.recv(this.fd, this.drainBuf, this.drainBuf.length, MSG_DONTWAIT);
      if (n <= 0) return;
      for (const event of decodeEvents(this.drainBuf.subarray(0, n))) this.handlers.onEvent(event);
    }
  }

  close(): void {
    this.closed = true;
    // The pool thread may be inside recv(); it returns within RECV_TIMEOUT_MS and then the fd is closed.
  }

  private async readLoop(): Promise<void> {
    const c = libc();
    while (!this.closed) {
      let n: number;
      try {
        n = await c.recvAsync(this.fd, this.buf, this.buf.length, 0);
      } catch (err) {
        this.handlers.onError(err as Error);
        break;
      }
      if (this.closed) break;
      // -1: the receive timeout, or a dropped burst (ENOBUFS); errno is not readable from a pool thread.
      // A lost exec is caught later: a record is used only while the process's exe and argv still match it.
      if (n < 0) continue;
      for (const event of decodeEvents(this.buf.subarray(0, n))) this.handlers.onEvent(event);
    }
    if (this.fd >= 0) c.close(this.fd);
    this.fd = -1;
  }
}

function encodeListen(): Buffer {
  const m = Buffer.alloc(NLMSGHDR_BYTES + CN_MSG_BYTES + 4);
  m.writeUInt32LE(m.length, 0);
  m.writeUInt16LE(NLMSG_DONE, 4);
  m.writeUInt32LE(process.pid, 12);
  m.writeUInt32LE(CN_IDX_PROC, 16);
  m.writeUInt32LE(CN_VAL_PROC, 20);
  m.writeUInt16LE(4, 32); // cn_msg.len: the 4-byte operation
  m.writeUInt32LE(PROC_CN_MCAST_LISTEN, 36);
  return m;
}

/** Every event in one datagram (normally one netlink message; the loop follows nlmsg_len if there are more). */
export function decodeEvents(datagram: Buffer): ProcEvent[] {
  const out: ProcEvent[] = [];
  let off = 0;
  while (off + EVENT_DATA + 8 <= datagram.length) {
    const len = datagram.readUInt32LE(off);
    if (len < NLMSGHDR_BYTES || off + len > datagram.length) break;
    const m = datagram.subarray(off, off + len);
    if (m.length >= EVENT_DATA + 8) {
      const what = m.readUInt32LE(EVENT_WHAT);
      if (what === PROC_EVENT_EXEC) out.push({ kind: 'exec', pid: m.readInt32LE(EVENT_DATA + 4), timestampNs: m.readBigUInt64LE(EVENT_TIMESTAMP) });
      else if (what === PROC_EVENT_FORK) {
        const child = m.readInt32LE(EVENT_DATA + 8);
        if (child === m.readInt32LE(EVENT_DATA + 12)) out.push({ kind: 'fork', pid: child, parentPid: m.readInt32LE(EVENT_DATA + 4) });
      } else if (what === PROC_EVENT_EXIT) {
        const pid = m.readInt32LE(EVENT_DATA);
        if (pid === m.readInt32LE(EVENT_DATA + 4)) out.push({ kind: 'exit', pid }); // the thread group leader, not one thread
      } else if (what === PROC_EVENT_NONE) out.push({ kind: 'ack', errno: m.readUInt32LE(EVENT_DATA) });
    }
    off += (len + 3) & ~3; // NLMSG_ALIGN
  }
  return out;
}
