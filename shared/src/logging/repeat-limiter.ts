// Collapses identical log lines: the first of a window is written, the rest are counted and summed up in one line.

/** Rate limiting of repeated lines, in milliseconds / entries. */
export const LOG_REPEAT_LIMITS = {
  /** A line identical to one written less than this ago is counted instead of written. */
  windowMs: 60_000,
  /** Distinct lines tracked at once; past it new lines are written untracked (never dropped). */
  maxTracked: 1_000,
} as const;

export interface RepeatLimiterOptions<E> {
  windowMs: number;
  maxTracked: number;
  /** Writes the summary of `count` suppressed copies of `entry`. */
  onRepeated(entry: E, count: number): void;
  now?: () => number;
}

interface Tracked<E> {
  entry: E;
  since: number;
  suppressed: number;
}

export class RepeatLimiter<E> {
  private readonly tracked = new Map<string, Tracked<E>>();
  private readonly now: () => number;

  constructor(private readonly opts: RepeatLimiterOptions<E>) {
    this.now = opts.now ?? Date.now;
  }

  /** True when the line should be written; false when it repeats one written within the window (it is counted). */
  admit(key: string, entry: E): boolean {
    const now = this.now();
    const seen = this.tracked.get(key);
    if (seen && now - seen.since < this.opts.windowMs) {
      seen.suppressed++;
      return false;
    }
    if (seen) this.settle(key, seen);
    if (this.tracked.size >= this.opts.maxTracked) this.flush();
    if (this.tracked.size < this.opts.maxTracked) this.tracked.set(key, { entry, since: now, suppressed: 0 });
    return true;
  }

  /** Writes the summaries of windows that have ended (all of them with `all`, e.g. before the logger closes). */
  flush(all = false): void {
    const now = this.now();
    for (const [key, seen] of this.tracked) {
      if (all || now - seen.since >= this.opts.windowMs) this.settle(key, seen);
    }
  }

  private settle(key: string, seen: Tracked<E>): void {
    this.tracked.delete(key);
    if (seen.suppressed > 0) this.opts.onRepeated(seen.entry, seen.suppressed);
  }
}

/** "… (repeated 4,323 times)" */
export function repeatedSuffix(count: number): string {
  return ` (repeated ${count.toLocaleString('en-US')} ${count === 1 ? 'time' : 'times'})`;
}
