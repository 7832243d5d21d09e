// The control socket: one framed connection per raypherctl call, peer credentials checked, routes guarded.
import { chmodSync, chownSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { RaypherError } from '@raypher/shared/errors';
import {
  Control,
  CONTROL_SOCKET_LIMITS,
  ConnectionGuard,
  Peer,
  SocketTransport,
  type Access,
  type ControlMethodName,
  type ControlMethods,
  type Handler,
  type MethodDef,
} from '@raypher/shared/ipc';
import type { Logger } from '@raypher/shared/logging';
import { peerCred } from '@raypher/shared/native';
import { accessFor, type AuthzPolicy } from './authz.js';

export type HandlerOf<D> = D extends MethodDef<infer P, infer R> ? Handler<P, R> : never;
/** A handler for every control method, the supervisor's own and the forwarded ones (routes.ts builds it). */
export type ControlRoutes = { [K in ControlMethodName]: HandlerOf<ControlMethods[K]> };

export interface ControlServerOptions {
  socketPath: string;
  /** Socket file mode: 0600, or 0660 when a socket group may connect. */
  mode: number;
  gid: number | null;
  policy: AuthzPolicy;
  routes: ControlRoutes;
  logger: Logger;
}

export async function startControlServer(opts: ControlServerOptions): Promise<Server> {
  rmSync(opts.socketPath, { force: true }); // we hold the home lock, so any socket file here is stale
  // No server.maxConnections: it refuses at the cap, which locks the admin out; the guard evicts instead.
  const guard = new ConnectionGuard({ name: 'control socket', limits: CONTROL_SOCKET_LIMITS, warn: (m, meta) => opts.logger.warn(m, meta) });
  const server = createServer((socket) => onConnection(socket, opts, guard));
  server.once('close', () => guard.stop());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      guard.stop();
      reject(listenError(opts.socketPath, err));
    });
    server.listen(opts.socketPath, () => resolve());
  });
  try {
    if (opts.gid !== null) chownSync(opts.socketPath, process.getuid?.() ?? 0, opts.gid);
    chmodSync(opts.socketPath, opts.mode);
  } catch (err) {
    server.close();
    throw new RaypherError('ERR_HOME_INSECURE', `cannot set owner/mode of control socket ${opts.socketPath}: ${(err as Error).message}; refusing to run with an unprotected socket`);
  }
  return server;
}

function onConnection(socket: Socket, opts: ControlServerOptions, guard: ConnectionGuard): void {
  let access: Access;
  let who: string;
  let caller: { uid: number; pid: number };
  try {
    const cred = peerCred(socket);
    caller = { uid: cred.uid, pid: cred.pid };
    access = accessFor(cred, opts.policy);
    who = `uid ${cred.uid} pid ${cred.pid}`;
  } catch (err) {
    opts.logger.warn('control connection refused: cannot read peer credentials', { error: (err as Error).message });
    socket.destroy();
    return;
  }
  const conn = guard.admit(socket, { uid: caller.uid, privileged: access === 'admin' });
  if (!conn) return;
  const peer = new Peer(conn.transport(new SocketTransport(socket)), {
    label: `control ${who}`,
    guard: (method) => {
      if (!conn.greeted && method.name !== Control.hello.name) {
        throw new RaypherError('ERR_IPC_HANDSHAKE_REQUIRED', `send ${Control.hello.name} first`);
      }
      if (method.access === 'admin' && access !== 'admin') {
        opts.logger.warn('control request denied', { method: method.name, caller: who });
        throw new RaypherError('ERR_CONTROL_DENIED', `${method.name} needs admin rights; run as root, the service user, or a member of the operator group`);
      }
    },
    onProtocolError: (err) => opts.logger.warn('bad control frame', { caller: who, code: err.code, error: err.message }),
    meta: { caller },
  });
  for (const [name, handler] of Object.entries(opts.routes) as Array<[ControlMethodName, Handler<unknown, unknown>]>) {
    const def = Control[name] as MethodDef<unknown, unknown>;
    peer.handle(def, name !== 'hello' ? handler : async (p, meta) => {
      const result = await handler(p, meta);
      conn.markGreeted();
      return result;
    });
  }
}

/** Why the control socket could not be bound, and what the operator can do about it. */
function listenError(path: string, err: NodeJS.ErrnoException): RaypherError {
  // Node reports a missing socket directory as EACCES too.
  const fix =
    err.code === 'EADDRINUSE'
      ? 'another process holds this socket: stop the other Raypher daemon that uses this home, or give this one its own with --home'
      : 'make sure the socket directory exists and the service user may create files in it (its owner and mode), or choose another home with --home';
  return new RaypherError('ERR_CONTROL_LISTEN', `cannot listen on control socket ${path}: ${err.message}; ${fix}`, { cause: err });
}
