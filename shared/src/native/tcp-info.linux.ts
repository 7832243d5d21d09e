// TCP_INFO on one of our own TCP sockets: how long ago the kernel last received data on it.
import { RaypherError } from '../errors/index.js';
import { libc } from './libc.js';

const IPPROTO_TCP = 6;
const TCP_INFO = 11;
/** struct tcp_info up to and including tcpi_last_ack_recv (linux/tcp.h). */
const TCP_INFO_BYTES = 60;
/** Offset of __u32 tcpi_last_data_recv: milliseconds (in jiffies) since data last arrived. */
const LAST_DATA_RECV_OFFSET = 52;

/** Milliseconds since the kernel last received data on this connected TCP socket (jiffy resolution). */
export function tcpLastDataRecvMs(fd: number): number {
  const buf = Buffer.alloc(TCP_INFO_BYTES);
  const len = [TCP_INFO_BYTES];
  if (libc().getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf, len) !== 0 || (len[0] ?? 0) < LAST_DATA_RECV_OFFSET + 4) {
    throw new RaypherError('ERR_NATIVE_CALL', `getsockopt(TCP_INFO) failed with errno ${libc().errno()}`);
  }
  return buf.readUInt32LE(LAST_DATA_RECV_OFFSET);
}
