import type { WorkerStatus } from '@raypher/shared/ipc';
import { renderHealthReport, unhealthyReason, type DaemonSnapshot } from './health-report.js';

const worker = (name: WorkerStatus['name'], state: WorkerStatus['state']): WorkerStatus => ({
  name,
  pid: 10,
  state,
  uptimeSecs: 1,
  restarts: 2,
  cpuPercent: null,
  rssBytes: null,
  heartbeatAgeSecs: 0.5,
  lastExit: null,
  lastError: null,
});

describe('renderHealthReport', () => {
  const snap: DaemonSnapshot = { state: 'running', version: '1.2.3', startedAt: 1_000, takenAt: 62_500, workers: [worker('vault', 'running')], auditEvents: 42, activeThreats: 0 };

  it('renders the snapshot: the same state and audit count `status` reports', () => {
    expect(renderHealthReport(snap, { vault: { state: 'unlocked' } }, 4096)).toEqual({
      healthy: true,
      body: {
        status: 'healthy',
        version: '1.2.3',
        uptime_secs: 61,
        silicon_id: null,
        workers: { vault: { state: 'running', pid: 10, restarts: 2, heartbeat_age_secs: 0.5 } },
        vault: { state: 'unlocked' },
        database: { total_events: 42, db_size_bytes: 4096 },
      },
    });
  });

  it.each([
    ['degraded', 'degraded'],
    ['starting', 'degraded'],
    ['stopping', 'stopping'],
  ] as const)('is unhealthy while the daemon is %s (status %s)', (state, status) => {
    const { healthy, body } = renderHealthReport({ ...snap, state }, {}, null);
    expect(healthy).toBe(false);
    expect(body.status).toBe(status);
  });

  it('is unhealthy (degraded) when a worker reports itself unhealthy, and says why', () => {
    const { healthy, body } = renderHealthReport(snap, { vault: { state: 'unlocked' }, unhealthy: 'self-test failed: keyring' }, null);
    expect(healthy).toBe(false);
    expect(body).toMatchObject({ status: 'degraded', unhealthy: 'self-test failed: keyring' });
  });
});

describe('unhealthyReason', () => {
  it.each([
    [{ vault: {} }, null],
    [{ unhealthy: null }, null],
    [{ unhealthy: false }, null],
    [{ unhealthy: 'disk full' }, 'disk full'],
    [{ unhealthy: true }, 'reported unhealthy'],
    [{ unhealthy: '' }, 'reported unhealthy'],
  ])('%j -> %j', (health, reason) => expect(unhealthyReason(health)).toBe(reason));
});
