// The circuit breaker: after 3 consecutive failed checks the wait doubles, capped at 24 h.
export const BREAKER = {
  /** Failures in a row before the breaker trips and alerts. */
  threshold: 3,
  maxDelaySecs: 86_400,
} as const;

/** Seconds until the next scheduled check (before the scheduler's jitter). */
export function nextCheckDelaySecs(intervalSecs: number, consecutiveFailures: number): number {
  if (consecutiveFailures < BREAKER.threshold) return intervalSecs;
  const doubled = intervalSecs * 2 ** (consecutiveFailures - BREAKER.threshold + 1);
  return Math.max(intervalSecs, Math.min(doubled, BREAKER.maxDelaySecs));
}

export function breakerTripped(consecutiveFailures: number): boolean {
  return consecutiveFailures >= BREAKER.threshold;
}
