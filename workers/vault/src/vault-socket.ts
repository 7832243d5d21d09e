// The vault's own socket for the proxy: hello with the per-boot token first, then unseal; invalidations pushed.
import { timingSafeEqual } from 'node:crypto';
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { RaypherError } from '@raypher/shared/errors';
import { ConnectionGuard, Peer, PROTOCOL_VERSION, SocketTransport, VAULT_SOCKET_LIMITS, VaultSocket, VaultSocketEvents } from '@raypher/shared/ipc';
import type { Logger } from '@raypher/shared/logging';
import { peerCred } from '@raypher/shared/native';
import type { VaultService } from './vault-service.js';

export interface VaultSocketServer {
  server: Server;
  invalidate(provider: string | null): void;
  close(): void;
}

export async function startVaultSocket(path: string, token: string, service: VaultService, logger: Logger): Promise<VaultSocketServer> {
  const expected = Buffer.from(token, 'utf8');
  const clients = new Set<Peer>();
  rmSync(path, { force: true });
  // The socket is 0600, so every client has the vault's own uid (or is root): the guard's eviction order, not its
  // per-uid cap, is what keeps the proxy's greeted link alive through a flood of silent connections.
  const guard = new ConnectionGuard({ name: 'vault socket', limits: VAULT_SOCKET_LIMITS, warn: (m, meta) => logger.warn(m, meta) });
  const server = createServer((socket) => {
    let uid: number;
    try {
      uid = peerCred(socket).uid;
    } catch (err) {
      logger.warn('vault socket client refused: cannot read peer credentials', { error: (err as Error).message });
      socket.destroy();
      return;
    }
    const conn = guard.admit(socket, { uid, privileged: false });
    if (!conn) return;
    const peer = new Peer(conn.transport(new SocketTransport(socket)), {
      label: 'vault socket client',
      guard: (method) => {
        if (!conn.greeted && method.name !== VaultSocket.hello.name) throw new RaypherError('ERR_IPC_HANDSHAKE_REQUIRED', `send ${VaultSocket.hello.name} with the token first`);
      },
      onProtocolError: (err) => logger.warn('bad frame on vault socket', { code: err.code }),
    });
    peer.handle(VaultSocket.hello, ({ protocolVersion, token: given }) => {
      const got = Buffer.from(given, 'utf8');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        logger.warn('vault socket client refused: wrong token');
        setTimeout(() => socket.destroy(), 50);
        throw new RaypherError('ERR_VAULT_DENIED', 'wrong or missing vault token; only the proxy worker may use this socket');
      }
      if (protocolVersion !== PROTOCOL_VERSION) throw new RaypherError('ERR_IPC_VERSION_MISMATCH', `vault speaks protocol ${PROTOCOL_VERSION}, client ${protocolVersion}`);
      conn.markGreeted();
      clients.add(peer);
      return { protocolVersion: PROTOCOL_VERSION };
    });
    peer.handle(VaultSocket.unseal, async ({ provider }) => ({ provider, secret: await service.unseal(provider, null, 'proxy') }));
    peer.onClose(() => clients.delete(peer));
  });
  server.once('close', () => guard.stop());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => {
      guard.stop();
      reject(new RaypherError('ERR_VAULT_LISTEN', `cannot listen on the vault socket ${path}: ${err.message}; check that the run directory exists and belongs to the service user, and that no other supervisor runs on this home`));
    });
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return {
    server,
    invalidate(provider) {
      for (const c of clients) c.emit(VaultSocketEvents.invalidate, { provider });
    },
    close() {
      server.close();
      for (const c of clients) c.close();
      rmSync(path, { force: true });
    },
  };
}
