// Binds the proxy's listening sockets in the supervisor, so a proxy crash or restart never refuses a
// connection: the supervisor keeps the bound socket open but never accepts on it; each proxy process
// listen()s on its copy, and while none runs, new connections wait in the kernel backlog.
import net from 'node:net';
import { isIP } from 'node:net';
import { RaypherError } from '@raypher/shared/errors';
import type { Config } from '@raypher/shared/config';

/** The libuv TCP handle net._createServerHandle returns (internal, used by node:cluster; as of Node 20). */
export interface ServerHandle {
  getsockname(out: { address?: string; port?: number; family?: string }): number;
  close(): void;
}

export interface BoundListener {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
  handle: ServerHandle;
}

type CreateServerHandle = (address: string, port: number, addressType: number, fd: undefined, flags: number) => ServerHandle | number;
const UV_TCP_IPV6ONLY = 1;
const UV_EADDRNOTAVAIL = -99;

function bind(address: string, port: number): BoundListener | number {
  const family = isIP(address) === 6 ? 6 : 4;
  const create = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;
  const handle = create(address, port, family, undefined, family === 6 ? UV_TCP_IPV6ONLY : 0);
  if (typeof handle === 'number') return handle;
  const out: { address?: string; port?: number } = {};
  handle.getsockname(out);
  return { address: out.address ?? address, port: out.port ?? port, family: family === 6 ? 'IPv6' : 'IPv4', handle };
}

function bindError(address: string, port: number, errno: number): RaypherError {
  const name = errno === -98 ? 'EADDRINUSE' : errno === -13 ? 'EACCES' : `errno ${errno}`;
  return new RaypherError('ERR_PROXY_BIND', `cannot bind the proxy on ${address.includes(':') ? `[${address}]` : address}:${port}: ${name}; free the port or change [proxy] listen_port`);
}

/**
 * Loopback by default: 127.0.0.1 and [::1] on the same port, so no other process can squat the IPv6
 * loopback. A host without IPv6 gets IPv4 only; [::1] taken by someone else is fatal.
 */
export function bindProxyListeners(proxy: Config['proxy']): BoundListener[] {
  const primary = bind(proxy.listen_addr, proxy.listen_port);
  if (typeof primary === 'number') throw bindError(proxy.listen_addr, proxy.listen_port, primary);
  if (proxy.listen_addr !== '127.0.0.1') return [primary];
  const v6 = bind('::1', primary.port);
  if (typeof v6 === 'number') {
    if (v6 === UV_EADDRNOTAVAIL) return [primary];
    primary.handle.close();
    throw bindError('::1', primary.port, v6);
  }
  return [primary, v6];
}

export function describeListeners(listeners: readonly BoundListener[]): string {
  return listeners.map((l) => (l.family === 'IPv6' ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`)).join(', ');
}
