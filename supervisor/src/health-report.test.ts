import type { WorkerStatus } from '@raypher/shared/ipc';
import { renderHealthReport, type DaemonSnapshot } from './health-report.js';

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
});
