// Connects to a framed Unix socket / named pipe and performs the versioned hello handshake.
import { connect } from 'node:net';
import { RaypherError } from '../errors/index.js';
import { Peer } from './peer.js';
import { Control, IPC_TIMEOUTS, PROTOCOL_VERSION } from './protocol/index.js';
import { SocketTransport } from './transports/socket.js';

export interface ControlClient {
  peer: Peer;
  daemonVersion: string;
}

export async function connectControl(socketPath: string, client: { name: string; version: string }): Promise<ControlClient> {
  const socket = await new Promise<import('node:net').Socket>((resolve, reject) => {
    const s = connect(socketPath);
    s.once('connect', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      reject(new RaypherError('ERR_CONTROL_UNREACHABLE', `cannot connect to ${socketPath} (${err.code ?? err.message}); is the daemon running? Start it with 'raypher run'`, { cause: err }));
    });
  });
  const peer = new Peer(new SocketTransport(socket), { label: 'control client' });
  const hello = await peer.call(Control.hello, { protocolVersion: PROTOCOL_VERSION, client: client.name, version: client.version }, { timeoutMs: IPC_TIMEOUTS.helloMs });
  if (hello.protocolVersion !== PROTOCOL_VERSION) {
    peer.close();
    throw new RaypherError('ERR_IPC_VERSION_MISMATCH', `daemon speaks protocol ${hello.protocolVersion}, this client ${PROTOCOL_VERSION}; use the raypherctl that shipped with daemon ${hello.daemonVersion}`);
  }
  return { peer, daemonVersion: hello.daemonVersion };
}
