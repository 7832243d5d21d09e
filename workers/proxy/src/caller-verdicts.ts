// Identification per connection: asked of the identification thread once, then re-checked while the connection lives
// once its verdict is older than [proxy] identity_max_age_ms. A failed identification is a verdict too (refused).
import type { Socket } from 'node:net';
import type { Verdict } from './identity/decide.js';
import { connectionMadeBy, connectionOf } from './identity/index.js';
import { IdentityMethods } from './identity/protocol.js';
import type { IdentityThread } from './identity/thread.js';
import type { ProxyMetrics } from './metrics.js';

export type Known = Verdict | Error;

export class CallerVerdicts {
  /** Per connection: when it was accepted (a holder that exec'd after it did not make this connection). */
  private readonly accepted = new WeakMap<Socket, bigint>();
  private readonly verdicts = new WeakMap<Socket, { at: number; verdict: Promise<Known> | Known }>();

  constructor(
    private readonly identity: IdentityThread,
    private readonly maxAgeMs: () => number,
    private readonly metrics: ProxyMetrics,
  ) {}

  onAccepted(socket: Socket): void {
    this.accepted.set(socket, process.hrtime.bigint());
  }

  /** The verdict for the connection: synchronous while a fresh one is known, else a promise that never rejects. */
  of(socket: Socket): Promise<Known> | Known {
    const known = this.verdicts.get(socket);
    if (known && (known.verdict instanceof Promise || performance.now() - known.at <= this.maxAgeMs())) return known.verdict;
    const t = performance.now();
    const pending = this.ask(socket).then((v) => {
      this.metrics.identify.observe((performance.now() - t) / 1000);
      this.verdicts.set(socket, { at: performance.now(), verdict: v });
      return v;
    });
    this.verdicts.set(socket, { at: t, verdict: pending });
    if (!known) {
      this.metrics.connections.inc();
      socket.once('close', () => this.metrics.connections.dec());
    }
    return pending;
  }

  // async, so a failure to read the socket's peer (connectionOf) becomes a rejection like any other.
  private async ask(socket: Socket): Promise<Known> {
    try {
      const connectedNs = connectionMadeBy(socket, this.accepted.get(socket) ?? process.hrtime.bigint());
      return await this.identity.call(IdentityMethods.identify, { connection: connectionOf(socket), connectedNs });
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }
}
