// One snapshot of the daemon (state, workers, audit count), read once and rendered as `status` and as /health.
import type { StatusResult, WorkerStatus } from '@raypher/shared/ipc';

export type DaemonState = StatusResult['daemon']['state'];

export interface DaemonSnapshot {
  readonly state: DaemonState;
  readonly version: string;
  readonly startedAt: number;
  readonly takenAt: number;
  /** With cpu and rss measured at snapshot time. */
  readonly workers: readonly WorkerStatus[];
  readonly auditEvents: number | null;
  /** Scanner findings not resolved; null when the table cannot be read. */
  readonly activeThreats: number | null;
}

/**
 * A worker reports itself unhealthy (a failed self-test) with a top-level `unhealthy` key, the reason, among the
 * sections its health() returns; heartbeats only say its event loop turns. Null when it does not.
 */
export function unhealthyReason(health: Readonly<Record<string, unknown>>): string | null {
  const v = health.unhealthy;
  if (v === undefined || v === null || v === false) return null;
  return typeof v === 'string' && v !== '' ? v.slice(0, 256) : 'reported unhealthy';
}

/** The /health body: the original plan's fields, then each running worker's own section(s); a worker's unhealthy report makes it degraded. */
export function renderHealthReport(
  snap: DaemonSnapshot,
  sections: Readonly<Record<string, unknown>>,
  dbSizeBytes: number | null,
): { healthy: boolean; body: Record<string, unknown> } {
  const healthy = snap.state === 'running' && unhealthyReason(sections) === null;
  const body: Record<string, unknown> = {
    status: healthy ? 'healthy' : snap.state === 'stopping' ? 'stopping' : 'degraded',
    version: snap.version,
    uptime_secs: Math.floor((snap.takenAt - snap.startedAt) / 1000),
    silicon_id: null,
    workers: Object.fromEntries(snap.workers.map((w) => [w.name, { state: w.state, pid: w.pid, restarts: w.restarts, heartbeat_age_secs: w.heartbeatAgeSecs }])),
    ...sections,
    database: { total_events: snap.auditEvents, db_size_bytes: dbSizeBytes },
  };
  return { healthy, body };
}
