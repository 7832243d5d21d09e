// Token bucket per caller identity: capacity N (requests/minute), refilled at N/60 per second.
// A fresh identity may send exactly N requests at once; the next one waits for a token (429 + Retry-After).
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes a token, or returns the seconds until one is available. */
  take(key: string, perMinute: number): { ok: true } | { ok: false; retryAfterSecs: number } {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: perMinute, at: t };
    const refilled = Math.min(perMinute, b.tokens + ((t - b.at) / 60_000) * perMinute);
    if (refilled >= 1) {
      this.buckets.set(key, { tokens: refilled - 1, at: t });
      return { ok: true };
    }
    this.buckets.set(key, { tokens: refilled, at: t });
    return { ok: false, retryAfterSecs: Math.ceil(((1 - refilled) * 60) / perMinute) };
  }

  /** Gives a token back (the client aborted before the upstream answered). */
  refund(key: string, perMinute: number): void {
    const b = this.buckets.get(key);
    if (b) b.tokens = Math.min(perMinute, b.tokens + 1);
  }
}
