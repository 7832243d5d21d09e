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

  it('restarts at once after a stable run, then backs off from the base again', () => {
    const p = new RestartPolicy(() => ({ ...settings, maxRestarts: 100 }));
    p.onCrash(0, 1);
    p.onCrash(1, 1);
    expect(p.onCrash(2, 60_000)).toMatchObject({ kind: 'restart', delayMs: 0, attempt: 1 });
    expect(p.onCrash(3, 1)).toMatchObject({ kind: 'restart', delayMs: 100, attempt: 2 });
    expect(p.onCrash(4, 1)).toMatchObject({ kind: 'restart', delayMs: 200, attempt: 3 });
  });

  it('waits after a first crash that came before a stable run (a boot failure, a crash soon after start)', () => {
    const p = new RestartPolicy(() => settings);
    expect(p.onCrash(0, null)).toMatchObject({ delayMs: 100, attempt: 1 });
    const q = new RestartPolicy(() => settings);
    expect(q.onCrash(0, 59_999)).toMatchObject({ delayMs: 100, attempt: 1 });
  });

  it('counts an immediate restart in the window: stable runs cut short still end in failed', () => {
    const p = new RestartPolicy(() => ({ ...settings, stableAfterMs: 0 }));
    const kinds = Array.from({ length: 6 }, (_, i) => p.onCrash(i * 1000, 10).kind);
    expect(kinds).toEqual(['restart', 'restart', 'restart', 'restart', 'restart', 'failed']);
  });

  it('adds jitter within the configured fraction', () => {
    const p = new RestartPolicy(() => ({ ...settings, backoffJitter: 0.5 }), () => 1);
    expect(p.onCrash(0, null)).toMatchObject({ delayMs: 150 });
  });
});
