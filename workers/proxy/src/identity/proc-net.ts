// Finds a TCP connection's owning uid and socket inode: netlink sock_diag, with /proc/net/tcp{,6} as the fallback.
import { readFileSync } from 'node:fs';
import { addressBytes, SockDiag, type SocketOwner, type TcpEndpoint } from '@raypher/shared/native';

export type { SocketOwner };

/** /proc/net/tcp stores each 32-bit word of an address in host (little-endian) byte order. */
export function encodeProcAddress(ip: string, port: number): string {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const bytes = addressBytes(ip);
  const words = ip.includes(':') ? 4 : 1; // the [::1] listener is IPv6-only: no IPv4-mapped addresses here
  let out = '';
  for (let i = 0; i < words * 4; i += 4) out += bytes.readUInt32LE(i).toString(16).toUpperCase().padStart(8, '0');
  return `${out}:${portHex}`;
}

export class SocketOwnerLookup {
  private readonly diag = new SockDiag();
  /** Set when netlink failed once (e.g. a kernel without sock_diag): every later lookup reads /proc/net. */
  private netlinkBroken = false;
  method: 'netlink' | 'proc' = 'netlink';

  /** The client's end of a loopback connection: its local address is what the proxy sees as remote. */
  find(client: TcpEndpoint, server: TcpEndpoint): SocketOwner | null {
    if (!this.netlinkBroken) {
      try {
        return this.diag.tcpOwner(client, server);
      } catch {
        this.netlinkBroken = true;
        this.method = 'proc';
        this.diag.close();
      }
    }
    return findInProcNet(client, server);
  }

  close(): void {
    this.diag.close();
  }
}

export function findInProcNet(client: TcpEndpoint, server: TcpEndpoint): SocketOwner | null {
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
