// Finds a TCP connection's owning uid and socket inode in /proc/net/tcp{,6} (Linux).
// As of 2026-11 this is the only lookup; the design's netlink sock_diag fast path is not built yet.
import { readFileSync } from 'node:fs';

export interface SocketOwner {
  uid: number;
  inode: number;
}

/** /proc/net/tcp stores each 32-bit word of an address in host (little-endian) byte order. */
export function encodeProcAddress(ip: string, port: number): string {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  if (!ip.includes(':')) {
    const hex = ip.split('.').map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0')).reverse().join('');
    return `${hex}:${portHex}`;
  }
  // The [::1] listener is IPv6-only, so no IPv4-mapped addresses reach here.
  const bytes = Buffer.alloc(16);
  expandV6(ip).forEach((w, i) => bytes.writeUInt16BE(w, i * 2));
  let out = '';
  for (let i = 0; i < 16; i += 4) out += bytes.readUInt32LE(i).toString(16).toUpperCase().padStart(8, '0');
  return `${out}:${portHex}`;
}

function expandV6(ip: string): number[] {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':').map((x) => parseInt(x, 16)) : [];
  const t = tail ? tail.split(':').map((x) => parseInt(x, 16)) : [];
  return [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
}

/** The client's end of a loopback connection: its local address is what the proxy sees as remote. */
export function findSocketOwner(client: { ip: string; port: number }, server: { ip: string; port: number }): SocketOwner | null {
  const local = encodeProcAddress(client.ip, client.port);
  const remote = encodeProcAddress(server.ip, server.port);
  for (const table of client.ip.includes(':') ? ['/proc/net/tcp6', '/proc/net/tcp'] : ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1] === local && f[2] === remote) return { uid: Number(f[7]), inode: Number(f[9]) };
    }
  }
  return null;
}
