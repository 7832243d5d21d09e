// When the next scheduled check runs: soon after start, then every interval with up to 10 % jitter, the breaker's backoff respected.
import { breakerTripped, nextCheckDelaySecs } from './backoff.js';
import type { UpdaterState } from './update-state.js';

export const SCHEDULE = {
  /** The first check after start waits this long: the other workers come up first, and a crash loop cannot hammer the feed faster. */
  firstCheckDelayMs: 3_000,
  /** Up to this fraction of the wait is added at random, so a fleet does not check in lockstep. */
  jitterFraction: 0.1,
  /** setTimeout's largest delay; longer waits re-arm. */
  maxTimerMs: 2 ** 31 - 1,
} as const;

/** ms from `now` to the next check after the last one (interval, or the breaker's backoff), plus jitter; never sooner than the first-check delay. */
export function nextCheckInMs(state: UpdaterState, intervalSecs: number, now: number, random: () => number = Math.random): number {
  if (state.last_check === null) return SCHEDULE.firstCheckDelayMs;
  const waitMs = nextCheckDelaySecs(intervalSecs, state.consecutive_failures) * 1000;
  const due = Date.parse(state.last_check.at) + waitMs + random() * SCHEDULE.jitterFraction * waitMs;
  return Math.max(SCHEDULE.firstCheckDelayMs, Number.isFinite(due) ? due - now : 0);
}

/** At start: check soon, unless the breaker is open, whose backoff still holds across restarts. */
export function firstCheckInMs(state: UpdaterState, intervalSecs: number, now: number, random: () => number = Math.random): number {
  return breakerTripped(state.consecutive_failures) ? nextCheckInMs(state, intervalSecs, now, random) : SCHEDULE.firstCheckDelayMs;
}

/** One pending timer at a time; `due` survives waits longer than setTimeout allows. */
export class CheckTimer {
  private timer: NodeJS.Timeout | null = null;
  private dueAt: number | null = null;

  constructor(private readonly fire: () => void) {}

  get nextAt(): Date | null {
    return this.dueAt === null ? null : new Date(this.dueAt);
  }

  arm(delayMs: number): void {
    this.cancel();
    this.dueAt = Date.now() + delayMs;
    this.wait();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.dueAt = null;
  }

  private wait(): void {
    const left = (this.dueAt ?? 0) - Date.now();
    this.timer = setTimeout(() => {
      if (this.dueAt !== null && Date.now() < this.dueAt) return this.wait();
      this.timer = null;
      this.dueAt = null;
      this.fire();
    }, Math.min(Math.max(left, 0), SCHEDULE.maxTimerMs));
  }
}
