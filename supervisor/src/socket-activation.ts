// systemd socket activation (sd_listen_fds(3)): the proxy's listening sockets arrive at fd 3.. with LISTEN_FDS,
// LISTEN_PID and LISTEN_FDNAMES, and are used instead of binding our own. systemd keeps holding them, so while
// the supervisor restarts (even after kill -9) connections wait in the backlog instead of being refused.
import net from 'node:net';
import type { RaypherEnv } from '@raypher/shared/config';
import { RaypherError } from '@raypher/shared/errors';
import type { BoundListener, ServerHandle } from './proxy-listeners.js';

export const SD_LISTEN_FDS_START = 3;
/** FileDescriptorName= of the descriptors meant for the proxy (raypher.socket); unnamed ones ("unknown") count too. */
export const PROXY_FD_NAMES: readonly string[] = ['proxy', 'unknown'];

/** The three variables, read once at boot with the rest of the environment (shared/src/config/env.ts). */
export type ActivationEnv = Pick<RaypherEnv, 'LISTEN_FDS' | 'LISTEN_PID' | 'LISTEN_FDNAMES'>;

type OpenHandle = (address: null, port: 0, addressType: 4, fd: number, flags: 0) => (ServerHandle & { constructor: { name: string } }) | number;

function activationError(message: string): RaypherError {
  return new RaypherError('ERR_SOCKET_ACTIVATION', message);
}

/** The descriptors passed to this process, as [fd, name] pairs; empty when nothing was passed to this pid. */
export function passedDescriptors(env: ActivationEnv, pid: number): Array<{ fd: number; name: string }> {
  if (env.LISTEN_FDS === undefined || env.LISTEN_PID === undefined) return [];
  if (Number(env.LISTEN_PID) !== pid) return []; // meant for another process (a parent that exec'd us would reset it)
  const count = Number(env.LISTEN_FDS);
  if (!Number.isSafeInteger(count) || count < 0) throw activationError(`LISTEN_FDS=${JSON.stringify(env.LISTEN_FDS)} is not a count of descriptors; fix the socket unit or unset it`);
  const names = env.LISTEN_FDNAMES?.split(':') ?? [];
  return Array.from({ length: count }, (_, i) => ({ fd: SD_LISTEN_FDS_START + i, name: names[i] ?? 'unknown' }));
}

/** Wraps one passed descriptor in a libuv server handle (TCP or pipe, as the kernel says), like node:cluster does. */
function adopt(fd: number): BoundListener {
  const open = (net as unknown as { _createServerHandle: OpenHandle })._createServerHandle;
  const handle = open(null, 0, 4, fd, 0);
  if (typeof handle === 'number') throw activationError(`descriptor ${fd} passed by the service manager is not a usable listening socket (errno ${handle}); check ListenStream= in raypher.socket`);
  if (handle.constructor.name === 'Pipe') return { address: `fd:${fd}`, port: 0, family: 'unix', handle };
  const out: { address?: string; port?: number; family?: string } = {};
  const err = handle.getsockname(out);
  if (err !== 0 || out.port === undefined) {
    handle.close();
    throw activationError(`descriptor ${fd} passed by the service manager has no local address (errno ${err}); it must be a bound, listening socket`);
  }
  return { address: out.address ?? '', port: out.port, family: out.family === 'IPv6' ? 'IPv6' : 'IPv4', handle };
}

/**
 * The proxy's listeners from the service manager, or null when none were passed (then the supervisor binds its own).
 * A passed descriptor that is not a listening socket fails the start: serving on half the sockets would be worse.
 */
export function activatedProxyListeners(env: ActivationEnv, pid: number): BoundListener[] | null {
  const mine = passedDescriptors(env, pid).filter((d) => PROXY_FD_NAMES.includes(d.name));
  if (mine.length === 0) return null;
  const out: BoundListener[] = [];
  try {
    for (const d of mine) out.push(adopt(d.fd));
  } catch (err) {
    for (const l of out) l.handle.close();
    throw err;
  }
  return out;
}
