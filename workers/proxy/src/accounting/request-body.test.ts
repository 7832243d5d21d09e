import { BodyBudget } from './request-body.js';

describe('BodyBudget', () => {
  it('holds at most 128 MiB of bodies being read, or one body of max_body_bytes when that is larger', () => {
    const mib = 1024 * 1024;
    const b = new BodyBudget();
    expect(b.take(100 * mib, 32 * mib)).toBe(true);
    expect(b.take(28 * mib, 32 * mib)).toBe(true); // exactly 128 MiB
    expect(b.take(1, 32 * mib)).toBe(false);
    b.release(100 * mib);
    expect(b.take(32 * mib, 32 * mib)).toBe(true);
    expect(b.bytes).toBe(60 * mib);
    // A single body larger than the budget is read when nothing else is held (max_body_bytes allows it).
    const big = new BodyBudget();
    expect(big.take(512 * mib, 1024 * mib)).toBe(true);
    expect(big.take(512 * mib, 1024 * mib)).toBe(true);
    expect(big.take(1, 1024 * mib)).toBe(false);
  });
});
