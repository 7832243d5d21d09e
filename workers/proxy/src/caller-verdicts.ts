// Identification per connection: asked of the identification thread once, then re-checked while the connection lives
// (in the background from half of [proxy] identity_max_age_ms, coalesced with the other connections' re-checks;
// waited for past it). A failed identification is a verdict too (refused).
import type { Socket } from 'node:net';
import type { Verdict } from './identity/decide.js';
import { connectionMadeBy, connectionOf } from './identity/index.js';
import { IdentityMethods } from './identity/protocol.js';
import type { IdentityThread } from './identity/thread.js';
import type { ProxyMetrics } from './metrics.js';

export type Known = Verdict | Error;

/**
 * A verdict past this share of identity_max_age_ms is checked again in the background by the next request, which is
 * still served on it: the fresh verdict is usually in before the old one expires, so requests do not wait for the
 * /proc scan. No request is served on a verdict older than identity_max_age_ms either way.
 */
const REFRESH_AFTER = 0.5;
/**
 * Background re-checks that fall due within this share of identity_max_age_ms are asked together, so one /proc scan
 * answers them all (the thread's scan serves every question asked before it began): with 16 busy connections that is
 * at most 4 scans a second instead of one per connection per half-age. A re-check is asked by 3/4 of the age.
 */
const COALESCE = 0.25;

type Entry = {
  /**
   * When the question was asked, performance.now(): the /proc scan that answers began after it, so the facts are at
   * least this fresh. Counting from the answer instead would stretch a verdict's life by the scan's own time.
   */
  at: number;
  verdict: Promise<Known> | Known;
  /** A background re-check in flight. */
  refresh: Promise<Known> | null;
};

export class CallerVerdicts {
  /** Per connection: when it was accepted (a holder that exec'd after it did not make this connection). */
  private readonly accepted = new WeakMap<Socket, bigint>();
  private readonly verdicts = new WeakMap<Socket, Entry>();

  constructor(
    private readonly identity: IdentityThread,
    private readonly maxAgeMs: () => number,
    private readonly metrics: ProxyMetrics,
    /** The clock verdicts are aged on (tests drive it). */
    private readonly now: () => number = () => performance.now(),
    /** Runs the coalesced re-checks later (tests drive it). */
    private readonly schedule: (run: () => void, ms: number) => void = (run, ms) => void setTimeout(run, ms).unref(),
  ) {}

  /** Re-checks waiting for the coalescing window to close. */
  private due: Array<{ socket: Socket; settle: (v: Known) => void }> = [];

  onAccepted(socket: Socket): void {
    this.accepted.set(socket, process.hrtime.bigint());
  }

  /** The verdict for the connection: synchronous while a fresh one is known, else a promise that never rejects. */
  of(socket: Socket): Promise<Known> | Known {
    const known = this.verdicts.get(socket);
    if (known) {
      if (known.verdict instanceof Promise) return known.verdict;
      const maxAge = this.maxAgeMs();
      const age = this.now() - known.at;
      if (age <= maxAge) {
        if (known.refresh === null && age > maxAge * REFRESH_AFTER) known.refresh = this.checkSoon(socket, maxAge * COALESCE);
        return known.verdict;
      }
      if (known.refresh) return known.refresh; // expired while its re-check runs: wait for that one
    } else {
      this.metrics.connections.inc();
      socket.once('close', () => this.metrics.connections.dec());
    }
    const pending = this.check(socket);
    this.verdicts.set(socket, { at: this.now(), verdict: pending, refresh: null });
    return pending;
  }

  /** A background re-check, asked with the others that fall due within `windowMs`. */
  private checkSoon(socket: Socket, windowMs: number): Promise<Known> {
    return new Promise((settle) => {
      this.due.push({ socket, settle });
      if (this.due.length > 1) return;
      this.schedule(() => {
        for (const d of this.due.splice(0)) void this.check(d.socket).then(d.settle);
      }, windowMs);
    });
  }

  /** Asks the identification thread; the answer replaces the connection's verdict, aged from the question. */
  private check(socket: Socket): Promise<Known> {
    const t = this.now();
    return this.ask(socket).then((v) => {
      this.metrics.identify.observe((this.now() - t) / 1000);
      this.verdicts.set(socket, { at: t, verdict: v, refresh: null });
      return v;
    });
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
