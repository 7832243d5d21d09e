// Established TCP connections by socket inode (sock_diag dump, /proc/net/tcp{,6} as the fallback) and the socket inodes a
// process holds (/proc/<pid>/fd).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { TcpDump } from '@raypher/shared/native';

export interface TcpConnection {
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly inode: number;
}

const ESTABLISHED = '01';

function ipv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

function ipv6(hex: string): string {
  // Four 32-bit words, each in host (little-endian) order.
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

export function parseProcNetTcp(text: string, v6: boolean): TcpConnection[] {
  const out: TcpConnection[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== ESTABLISHED) continue;
    const [ipHex = '', portHex = ''] = (f[2] ?? '').split(':');
    out.push({ remoteIp: v6 ? ipv6(ipHex) : ipv4(ipHex), remotePort: parseInt(portHex, 16), inode: Number(f[9]) });
  }
  return out;
}

/** How connections are listed: netlink sock_diag, or /proc/net/tcp{,6} after sock_diag failed once (shown by `scan` and /health). */
export type ConnectionSource = 'sock_diag' | 'proc';

export class ConnectionReader {
  private readonly dump = new TcpDump();
  source: ConnectionSource = 'sock_diag';

  /** Established connections to a remote port `port` accepts (the /proc fallback lists them all and filters after). */
  established(port: (p: number) => boolean): TcpConnection[] {
    if (this.source === 'sock_diag') {
      try {
        return this.dump.established(port);
      } catch {
        this.source = 'proc';
        this.dump.close();
      }
    }
    return establishedConnections().filter((c) => port(c.remotePort));
  }

  close(): void {
    this.dump.close();
  }
}

export function establishedConnections(root = '/proc'): TcpConnection[] {
  const read = (f: string) => {
    try {
      return readFileSync(`${root}/net/${f}`, 'latin1');
    } catch {
      return '';
    }
  };
  return [...parseProcNetTcp(read('tcp'), false), ...parseProcNetTcp(read('tcp6'), true)];
}

/** Socket inodes open in a process; empty when its fds cannot be read. */
export function socketInodes(pid: number, root = '/proc'): Set<number> {
  const out = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`${root}/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${root}/${pid}/fd/${fd}`));
      if (m) out.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}
