// Decides what happens after a worker crash: restart at once (the first crash after a stable run), after an
// exponential, jittered delay (a crash soon after a restart), or mark it failed.
export interface PolicySettings {
  backoffBaseMs: number;
  backoffFactor: number;
  backoffMaxMs: number;
  /** Fraction of the delay added at random, 0..1. */
  backoffJitter: number;
  /** A worker that ran this long before crashing starts the backoff over, and is restarted without delay. */
  stableAfterMs: number;
  /** More restarts than this within windowMs means the worker is failed. */
  maxRestarts: number;
  windowMs: number;
  cooldownMs: number;
}

export type CrashDecision = { kind: 'restart'; delayMs: number; attempt: number } | { kind: 'failed'; retryInMs: number; restartsInWindow: number };

export class RestartPolicy {
  /** Restarts since the last stable run (the attempt number). */
  private consecutive = 0;
  /** Of those, the ones that waited: the exponent of the next delay. */
  private delayed = 0;
  private restarts: number[] = [];

  constructor(private readonly settings: () => PolicySettings, private readonly random: () => number = Math.random) {}

  /** @param upMs how long the crashed process had been running (null if it never became ready). */
  onCrash(now: number, upMs: number | null): CrashDecision {
    const s = this.settings();
    const stable = upMs !== null && upMs >= s.stableAfterMs;
    if (stable) this.reset(false);
    this.restarts = this.restarts.filter((t) => now - t < s.windowMs);
    if (this.restarts.length >= s.maxRestarts) {
      return { kind: 'failed', retryInMs: s.cooldownMs, restartsInWindow: this.restarts.length };
    }
    // A crash after a stable run is most likely a one-off: waiting would only lengthen the outage (issue 15). A crash
    // soon after that restart backs off from the base delay, and the window still marks a crash loop failed.
    let delayMs = 0;
    if (!(stable && this.consecutive === 0)) {
      const raw = Math.min(s.backoffMaxMs, s.backoffBaseMs * s.backoffFactor ** this.delayed);
      delayMs = Math.round(Math.min(s.backoffMaxMs, raw + raw * s.backoffJitter * this.random()));
      this.delayed++;
    }
    this.consecutive++;
    this.restarts.push(now);
    return { kind: 'restart', delayMs, attempt: this.consecutive };
  }

  /** After the failed cool-down, or an operator's explicit start: a clean slate (the window too, unless `window` is false). */
  reset(window = true): void {
    this.consecutive = 0;
    this.delayed = 0;
    if (window) this.restarts = [];
  }
}

export function policySettingsFrom(s: {
  backoff_base_ms: number;
  backoff_factor: number;
  backoff_max_ms: number;
  backoff_jitter: number;
  stable_after_ms: number;
  max_restarts: number;
  restart_window_ms: number;
  failed_cooldown_ms: number;
}): PolicySettings {
  return {
    backoffBaseMs: s.backoff_base_ms,
    backoffFactor: s.backoff_factor,
    backoffMaxMs: s.backoff_max_ms,
    backoffJitter: s.backoff_jitter,
    stableAfterMs: s.stable_after_ms,
    maxRestarts: s.max_restarts,
    windowMs: s.restart_window_ms,
    cooldownMs: s.failed_cooldown_ms,
  };
}
