// The proxy's link to the vault socket (per-boot token), with an in-memory key cache the vault invalidates.
// The link rides through a vault restart: it is re-dialled with a capped backoff and the cache is kept meanwhile.
import { connect } from 'node:net';
import { isRaypherError, RaypherError } from '@raypher/shared/errors';
import { Peer, PROTOCOL_VERSION, SocketTransport, VaultSocket, VaultSocketEvents } from '@raypher/shared/ipc';

/** A cached key is dropped after this long even without an invalidation, in ms. */
const KEY_CACHE_TTL_MS = 60_000;
/** A request whose key is not cached waits this long for an absent vault (a restart takes about a second) before 503, in ms. */
export const VAULT_WAIT_MS = 10_000;
/** Re-dialling the vault: the first retry after this long, doubling up to the cap, in ms. */
const RETRY_FIRST_MS = 25;
const RETRY_MAX_MS = 500;
/**
 * Errors that say the link is down or was closed by the vault's socket server (a restart, a link closed as idle or
 * over its connection cap), not what the vault answered about a key: retried within VAULT_WAIT_MS.
 */
const LINK_DOWN = new Set(['ERR_VAULT_UNREACHABLE', 'ERR_IPC_DISCONNECTED', 'ERR_IPC_IDLE_TIMEOUT', 'ERR_IPC_TOO_MANY_CONNECTIONS']);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
const isLinkDown = (err: unknown) => isRaypherError(err) && LINK_DOWN.has(err.code);

export class VaultClient {
  private peer: Promise<Peer> | null = null;
  private readonly cache = new Map<string, { key: string; until: number }>();
  /** One unseal in flight per provider, shared by the requests that wait for it. */
  private readonly fetching = new Map<string, Promise<string>>();
  /** Bumped by every invalidation: a key fetched across one is not cached. */
  private generation = 0;
  private closed = false;

  constructor(private readonly socketPath: string, private readonly token: string) {}

  /** The cached key, when there is a fresh one: the hot path takes it without a promise. */
  cached(provider: string): string | undefined {
    const hit = this.cache.get(provider);
    return hit && hit.until > Date.now() ? hit.key : undefined;
  }

  /** The key from cache, or from the vault, waiting up to VAULT_WAIT_MS while the vault is away. */
  key(provider: string): Promise<string> {
    const hit = this.cached(provider);
    if (hit !== undefined) return Promise.resolve(hit);
    let pending = this.fetching.get(provider);
    if (!pending) {
      pending = this.fetch(provider).finally(() => this.fetching.delete(provider));
      this.fetching.set(provider, pending);
    }
    return pending;
  }

  /** Drops cached keys (all of them with null): on vault invalidation, panic, or shutdown. A link drop keeps them. */
  invalidate(provider: string | null): void {
    this.generation++;
    if (provider === null) this.cache.clear();
    else this.cache.delete(provider);
  }

  close(): void {
    this.closed = true;
    this.invalidate(null);
    void this.peer?.then((p) => p.close(), () => undefined);
    this.peer = null;
  }

  private async fetch(provider: string): Promise<string> {
    const deadline = Date.now() + VAULT_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      const generation = this.generation;
      try {
        const peer = await this.connect();
        const { secret } = await peer.call(VaultSocket.unseal, { provider });
        if (generation === this.generation && !this.closed) this.cache.set(provider, { key: secret, until: Date.now() + KEY_CACHE_TTL_MS });
        return secret;
      } catch (err) {
        if (!isLinkDown(err) || this.closed) throw err;
        const wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt);
        if (Date.now() + wait > deadline) throw new RaypherError('ERR_VAULT_UNREACHABLE', `the vault did not answer within ${VAULT_WAIT_MS} ms (${(err as Error).message}); check raypherctl status`);
        await sleep(wait);
      }
    }
  }

  /**
   * After the link drops: re-dial until the vault is back (capped backoff), so invalidations flow again, then
   * re-read every cached key, since a key sealed or deleted while the link was down sent no invalidation to us.
   */
  private async relink(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        const peer = await this.connect();
        for (const provider of [...this.cache.keys()]) {
          const generation = this.generation;
          try {
            const { secret } = await peer.call(VaultSocket.unseal, { provider });
            if (generation === this.generation) this.cache.set(provider, { key: secret, until: Date.now() + KEY_CACHE_TTL_MS });
          } catch (err) {
            if (isLinkDown(err)) throw err;
            this.cache.delete(provider); // no longer sealed (or no longer ours): never serve the old one
          }
        }
        return;
      } catch {
        await sleep(Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt));
      }
    }
  }

  private connect(): Promise<Peer> {
    if (this.peer) return this.peer;
    // Each handler forgets only its own link: a late event of a dead link must not drop the next one.
    const forget = () => {
      if (this.peer === link) this.peer = null;
    };
    const link: Promise<Peer> = new Promise<Peer>((resolve, reject) => {
      const socket = connect(this.socketPath);
      socket.once('error', (err) => {
        forget();
        reject(new RaypherError('ERR_VAULT_UNREACHABLE', `cannot reach the vault socket (${(err as NodeJS.ErrnoException).code}); is the vault worker running?`));
      });
      socket.once('connect', () => {
        const peer = new Peer(new SocketTransport(socket), { label: 'proxy → vault' });
        let ready = false;
        peer.on(VaultSocketEvents.invalidate, ({ provider }) => this.invalidate(provider));
        peer.onClose(() => {
          forget();
          if (ready && !this.closed) void this.relink(); // the cache is kept: a restarting vault is not an invalidation
        });
        peer.call(VaultSocket.hello, { protocolVersion: PROTOCOL_VERSION, token: this.token, client: 'proxy' }).then(
          () => {
            ready = true;
            resolve(peer);
          },
          (err: unknown) => {
            forget();
            peer.close();
            reject(err);
          },
        );
      });
    });
    this.peer = link;
    return link;
  }
}
