// The proxy's link to the vault socket (per-boot token), with an in-memory key cache the vault invalidates.
import { connect } from 'node:net';
import { RaypherError } from '@raypher/shared/errors';
import { Peer, PROTOCOL_VERSION, SocketTransport, VaultSocket, VaultSocketEvents } from '@raypher/shared/ipc';

/** A cached key is dropped after this long even without an invalidation, in ms. */
const KEY_CACHE_TTL_MS = 60_000;

export class VaultClient {
  private peer: Promise<Peer> | null = null;
  private readonly cache = new Map<string, { key: string; until: number }>();

  constructor(private readonly socketPath: string, private readonly token: string) {}

  /** The cached key, when there is a fresh one: the hot path takes it without a promise. */
  cached(provider: string): string | undefined {
    const hit = this.cache.get(provider);
    return hit && hit.until > Date.now() ? hit.key : undefined;
  }

  async key(provider: string): Promise<string> {
    const hit = this.cached(provider);
    if (hit !== undefined) return hit;
    const peer = await this.connect();
    const { secret } = await peer.call(VaultSocket.unseal, { provider });
    this.cache.set(provider, { key: secret, until: Date.now() + KEY_CACHE_TTL_MS });
    return secret;
  }

  /** Drops cached keys (all of them with null): on vault invalidation, panic, or shutdown. */
  invalidate(provider: string | null): void {
    if (provider === null) this.cache.clear();
    else this.cache.delete(provider);
  }

  close(): void {
    this.cache.clear();
    void this.peer?.then((p) => p.close(), () => undefined);
    this.peer = null;
  }

  private connect(): Promise<Peer> {
    this.peer ??= new Promise<Peer>((resolve, reject) => {
      const socket = connect(this.socketPath);
      socket.once('error', (err) => {
        this.peer = null;
        reject(new RaypherError('ERR_WORKER_NOT_RUNNING', `cannot reach the vault socket (${(err as NodeJS.ErrnoException).code}); is the vault worker running?`));
      });
      socket.once('connect', () => {
        const peer = new Peer(new SocketTransport(socket), { label: 'proxy → vault' });
        peer.on(VaultSocketEvents.invalidate, ({ provider }) => this.invalidate(provider));
        peer.onClose(() => {
          this.peer = null;
          this.cache.clear(); // a restarted vault may hold other keys
        });
        peer.call(VaultSocket.hello, { protocolVersion: PROTOCOL_VERSION, token: this.token, client: 'proxy' }).then(() => resolve(peer), (err: unknown) => {
          this.peer = null;
          peer.close();
          reject(err);
        });
      });
    });
    return this.peer;
  }
}
