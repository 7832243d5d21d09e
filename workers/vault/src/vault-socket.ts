// The vault's own socket for the proxy: hello with the per-boot token first, then unseal; invalidations pushed.
import { timingSafeEqual } from 'node:crypto';
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { RaypherError } from '@raypher/shared/errors';
import { Peer, PROTOCOL_VERSION, SocketTransport, VaultSocket, VaultSocketEvents } from '@raypher/shared/ipc';
import type { Logger } from '@raypher/shared/logging';
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
  const server = createServer((socket) => {
    let authenticated = false;
    const peer = new Peer(new SocketTransport(socket), {
      label: 'vault socket client',
      guard: (method) => {
        if (!authenticated && method.name !== VaultSocket.hello.name) throw new RaypherError('ERR_IPC_HANDSHAKE_REQUIRED', `send ${VaultSocket.hello.name} with the token first`);
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
      authenticated = true;
      clients.add(peer);
      return { protocolVersion: PROTOCOL_VERSION };
    });
    peer.handle(VaultSocket.unseal, async ({ provider }) => ({ provider, secret: await service.unseal(provider, null, 'proxy') }));
    peer.onClose(() => clients.delete(peer));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new RaypherError('ERR_HOME_INSECURE', `cannot listen on vault socket ${path}: ${err.message}`)));
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
