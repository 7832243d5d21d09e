import { initialState, type UpdaterState } from './update-state.js';
import { firstCheckInMs, nextCheckInMs, SCHEDULE } from './check-schedule.js';

const now = Date.parse('2026-11-29T12:00:00Z');
const checked = (failures: number, at = now): UpdaterState => ({
  ...initialState(new Date(now)),
  consecutive_failures: failures,
  last_check: { at: new Date(at).toISOString(), result: failures > 0 ? 'failed' : 'up_to_date', detail: '', error_code: null, alert: false },
});

describe('check schedule', () => {
  it('checks soon after start, then every interval plus up to 10 % jitter', () => {
    expect(firstCheckInMs(initialState(new Date(now)), 3600, now)).toBe(SCHEDULE.firstCheckDelayMs);
    expect(firstCheckInMs(checked(0), 3600, now)).toBe(SCHEDULE.firstCheckDelayMs);
    expect(nextCheckInMs(checked(0), 3600, now, () => 0)).toBe(3_600_000);
    expect(nextCheckInMs(checked(0), 3600, now, () => 0.999)).toBeCloseTo(3_600_000 * 1.0999, -2);
  });

  it('respects the breaker backoff, also across a restart', () => {
    expect(nextCheckInMs(checked(3), 3600, now, () => 0)).toBe(7_200_000);
    expect(nextCheckInMs(checked(10), 3600, now, () => 0)).toBe(86_400_000);
    expect(firstCheckInMs(checked(3), 3600, now, () => 0)).toBe(7_200_000);
  });

  it('never schedules in the past', () => {
    expect(nextCheckInMs(checked(0, now - 10 * 3_600_000), 3600, now, () => 0)).toBe(SCHEDULE.firstCheckDelayMs);
  });
});
