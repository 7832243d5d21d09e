import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('allows exactly N at once, then tells when the next token comes', () => {
    let now = 0;
    const r = new RateLimiter(() => now);
    for (let i = 0; i < 5; i++) expect(r.take('a', 5)).toEqual({ ok: true });
    expect(r.take('a', 5)).toEqual({ ok: false, retryAfterSecs: 12 });
    now += 12_000;
    expect(r.take('a', 5)).toEqual({ ok: true });
    expect(r.take('a', 5).ok).toBe(false);
    expect(r.take('b', 5)).toEqual({ ok: true });
  });

  it('gives a refunded token back', () => {
    const r = new RateLimiter(() => 0);
    for (let i = 0; i < 3; i++) r.take('a', 3);
    expect(r.take('a', 3).ok).toBe(false);
    r.refund('a', 3);
    expect(r.take('a', 3).ok).toBe(true);
  });
});
