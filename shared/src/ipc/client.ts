// Connects to a framed Unix socket / named pipe, performs the versioned hello handshake, and calls control methods.
import { connect, type Socket } from 'node:net';
import { RaypherError } from '../errors/index.js';
import type { ControlMethodDef } from './define.js';
import { Peer } from './peer.js';
import { Control, CONTROL_HOP_MARGIN_MS, PROTOCOL_VERSION } from './protocol/index.js';
import { SocketTransport } from './transports/socket.js';

export interface ControlClient {
  readonly daemonVersion: string;
  readonly closed: boolean;
  /** Waits the method's own timeout plus a margin, so a timeout of the supervisor's hop is reported by the supervisor. */
  call<P, R>(def: ControlMethodDef<P, R>, params: P): Promise<R>;
  close(): void;
}

export async function connectControl(socketPath: string, client: { name: string; version: string }): Promise<ControlClient> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(socketPath);
    s.once('connect', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      reject(new RaypherError('ERR_CONTROL_UNREACHABLE', `cannot connect to ${socketPath} (${err.code ?? err.message}); is the daemon running? Start it with 'raypher run'`, { cause: err }));
    });
  });
  const peer = new Peer(new SocketTransport(socket), { label: 'control client' });
  const call = <P, R>(def: ControlMethodDef<P, R>, params: P): Promise<R> => peer.call(def, params, { timeoutMs: def.timeoutMs + CONTROL_HOP_MARGIN_MS });
  const hello = await call(Control.hello, { protocolVersion: PROTOCOL_VERSION, client: client.name, version: client.version });
  if (hello.protocolVersion !== PROTOCOL_VERSION) {
    peer.close();
    throw new RaypherError('ERR_IPC_VERSION_MISMATCH', `daemon speaks protocol ${hello.protocolVersion}, this client ${PROTOCOL_VERSION}; use the raypherctl that shipped with daemon ${hello.daemonVersion}`);
  }
  return {
    daemonVersion: hello.daemonVersion,
    get closed() {
      return peer.closed;
    },
    call,
    close: () => peer.close(),
  };
}
