import { RestartPolicy, type PolicySettings } from './restart-policy.js';

const settings: PolicySettings = {
  backoffBaseMs: 100,
  backoffFactor: 2,
  backoffMaxMs: 1000,
  backoffJitter: 0,
  stableAfterMs: 60_000,
  maxRestarts: 5,
  windowMs: 60_000,
  cooldownMs: 300_000,
};

describe('RestartPolicy', () => {
  it('backs off exponentially up to the cap', () => {
    const p = new RestartPolicy(() => ({ ...settings, maxRestarts: 100 }));
    const delays = Array.from({ length: 6 }, (_, i) => p.onCrash(i * 10, 5));
    expect(delays.map((d) => (d.kind === 'restart' ? d.delayMs : -1))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('marks the worker failed after more than maxRestarts in the window', () => {
    const p = new RestartPolicy(() => settings);
    const kinds = Array.from({ length: 6 }, (_, i) => p.onCrash(i * 1000, null).kind);
    expect(kinds).toEqual(['restart', 'restart', 'restart', 'restart', 'restart', 'failed']);
  });

  it('forgets restarts that fell out of the window', () => {
    const p = new RestartPolicy(() => settings);
    for (let i = 0; i < 5; i++) p.onCrash(i, null);
    expect(p.onCrash(61_000, null).kind).toBe('restart');
  });

  it('resets the backoff after a stable run', () => {
    const p = new RestartPolicy(() => ({ ...settings, maxRestarts: 100 }));
    p.onCrash(0, 1);
    p.onCrash(1, 1);
    expect(p.onCrash(2, 60_000)).toMatchObject({ kind: 'restart', delayMs: 100, attempt: 1 });
  });

  it('adds jitter within the configured fraction', () => {
    const p = new RestartPolicy(() => ({ ...settings, backoffJitter: 0.5 }), () => 1);
    expect(p.onCrash(0, null)).toMatchObject({ delayMs: 150 });
  });
});
