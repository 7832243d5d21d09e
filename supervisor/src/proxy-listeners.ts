// Binds the proxy's listening sockets in the supervisor, so a proxy crash or restart never refuses a
// connection: the supervisor keeps the bound socket open but never accepts on it; each proxy process
// listen()s on its copy, and while none runs, new connections wait in the kernel backlog.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
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
  family: 'IPv4' | 'IPv6' | 'unix';
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
  return new RaypherError('ERR_PROXY_BIND', `cannot bind the proxy on ${address.includes(':') ? `[${address}]` : address}:${port}: ${errnoName(errno)}; free the port or change [proxy] listen_port`);
}

const errnoName = (errno: number) => (errno === -98 ? 'EADDRINUSE' : errno === -13 ? 'EACCES' : errno === -2 ? 'ENOENT' : `errno ${errno}`);

/**
 * The optional Unix socket endpoint (callers identified by SO_PEERCRED). Mode 0666: who may use the proxy
 * is the allow list's decision, and the directory's permissions still apply. A live socket is never taken over.
 */
export async function bindUnixListener(configured: string, runDir: string): Promise<BoundListener> {
  const path = isAbsolute(configured) ? configured : resolve(runDir, configured);
  await clearStaleSocket(path);
  const create = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;
  const handle = create(path, -1, -1, undefined, 0);
  if (typeof handle === 'number') {
    throw new RaypherError('ERR_PROXY_BIND', `cannot bind the proxy's unix socket ${path}: ${errnoName(handle)}; check that its directory exists and is writable, or change [proxy] unix_socket`);
  }
  chmodSync(path, 0o666);
  return { address: path, port: 0, family: 'unix', handle };
}

async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new RaypherError('ERR_PROXY_BIND', `[proxy] unix_socket ${path} exists and is not a socket; remove it or choose another path`);
  const live = await new Promise<boolean>((done) => {
    const probe = net.connect(path);
    probe.once('connect', () => (probe.destroy(), done(true)));
    probe.once('error', () => done(false));
  });
  if (live) throw new RaypherError('ERR_PROXY_BIND', `[proxy] unix_socket ${path} is in use by another process; stop it or choose another path`);
  unlinkSync(path);
}

/** Closes every listener; a unix socket we bound loses its file too (one passed by systemd, named fd:N, is left to systemd). */
export function closeListeners(listeners: readonly BoundListener[]): void {
  for (const l of listeners) {
    l.handle.close();
    if (l.family === 'unix' && isAbsolute(l.address)) {
      try {
        unlinkSync(l.address);
      } catch {
        /* already gone */
      }
    }
  }
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
  return listeners.map((l) => (l.family === 'unix' ? `unix:${l.address}` : l.family === 'IPv6' ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`)).join(', ');
}
