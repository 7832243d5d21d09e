// Public face of Raypher's IPC layer.
export * from './protocol/index.js';
export * from './schema.js';
export { Peer, type CallMeta, type Guard, type Handler, type PeerOptions } from './peer.js';
export type { Transport, TransportEvents } from './transport.js';
export { SocketTransport } from './transports/socket.js';
export { ChannelTransport, type ChannelEndpoint } from './transports/child.js';
export { createMemoryPair } from './transports/memory.js';
export { PortTransport } from './transports/port.js';
export { connectControl, type ControlClient } from './client.js';
export { serveOwnedMethods, type HandlerHost, type OwnedHandlers } from './owned-methods.js';
export { ConnectionGuard, type ConnectingPeer, type ConnectionGuardOptions } from './connection-guard.js';
export type { GuardedConnection } from './guarded-connection.js';
export { CONTROL_SOCKET_LIMITS, VAULT_SOCKET_LIMITS, type SocketLimits } from './socket-limits.js';
