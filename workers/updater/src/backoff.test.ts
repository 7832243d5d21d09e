// The circuit breaker's schedule: the interval until 3 failures in a row, then doubling up to 24 h.
import { breakerTripped, nextCheckDelaySecs } from './backoff.js';

describe('nextCheckDelaySecs', () => {
  it('keeps the interval below the threshold, then doubles, capped at a day', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => nextCheckDelaySecs(3600, n))).toEqual([3600, 3600, 3600, 7200, 14400, 28800, 57600, 86400]);
    expect(breakerTripped(2)).toBe(false);
    expect(breakerTripped(3)).toBe(true);
  });

  it('never shortens an interval longer than the cap', () => {
    expect(nextCheckDelaySecs(7 * 86_400, 10)).toBe(7 * 86_400);
  });
});
