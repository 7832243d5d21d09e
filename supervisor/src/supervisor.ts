// The running supervisor: serves the control socket and /health, reloads config, reports status, shuts down in order.
import { statSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { isLoopback } from '@raypher/shared/config';
import type { Db } from '@raypher/shared/db';
import { Control, SupervisorToWorker, type StatusResult } from '@raypher/shared/ipc';
import { closeLogger, type Logger } from '@raypher/shared/logging';
import type { RaypherPaths } from '@raypher/shared/paths';
import type { AuditWriter } from './audit-writer.js';
import type { AuthzPolicy } from './authz.js';
import { startControlServer } from './control-server.js';
import { renderHealthReport, type DaemonSnapshot, type DaemonState } from './health-report.js';
import { startHealthServer } from './health-server.js';
import type { HomeLock } from './home.js';
import type { LiveConfig } from './live-config.js';
import type { SupervisorMetrics } from './metrics.js';
import { closeListeners, describeListeners, type BoundListener } from './proxy-listeners.js';
import { buildRoutes, callOwner } from './routes.js';
import type { ServiceNotifier } from './sd-notify.js';
import type { BlueGreen } from './slots/blue-green.js';
import type { WorkerManager } from './worker-manager.js';

/** Everything the supervisor runs with, built before it (boot.ts). */
export interface SupervisorDeps {
  readonly version: string;
  readonly startedAt: number;
  readonly paths: RaypherPaths;
  readonly config: LiveConfig;
  readonly lock: HomeLock;
  readonly logger: Logger;
  readonly db: Db;
  readonly audit: AuditWriter;
  readonly listeners: readonly BoundListener[];
  readonly notifier: ServiceNotifier;
  readonly workers: WorkerManager;
  readonly metrics: SupervisorMetrics;
  readonly slots: BlueGreen;
}

/** How long `status` waits for the vault's key count, in ms. */
const STATUS_PROBE_MS = 500;

export class Supervisor {
  private state: DaemonState = 'starting';
  /** Set by serve(); the health server stays unset when [health] enabled = false. */
  private control: Server | undefined;
  private health: { server: HttpServer; address: string } | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: SupervisorDeps) {}

  /** Opens the control socket and /health, then starts the workers. */
  async serve(access: { policy: AuthzPolicy; socketGid: number | null; bundleDir: string }): Promise<void> {
    const { paths, logger, workers, metrics, notifier, audit } = this.deps;
    this.control = await startControlServer({
      socketPath: paths.controlSocket,
      mode: access.socketGid === null ? 0o600 : 0o660,
      gid: access.socketGid,
      policy: access.policy,
      routes: buildRoutes({
        version: this.deps.version,
        logDir: paths.logDir,
        workers,
        status: () => this.status(),
        health: () => this.healthReport(),
        reload: () => this.reload(),
        slots: this.deps.slots,
      }),
      logger,
    });
    const config = this.deps.config.current;
    if (config.health.enabled) {
      this.health = await startHealthServer({
        host: config.health.listen_addr,
        port: config.health.listen_port,
        health: () => this.healthReport(),
        metrics: () => metrics.render(),
        metricsContentType: metrics.contentType,
      });
    }
    for (const section of ['proxy', 'health'] as const) {
      const addr = config[section].listen_addr;
      if (!isLoopback(addr)) logger.warn(`${section} listens on ${addr}, reachable from the network (${section}.allow_remote = true)`, { section, address: addr });
    }
    logger.info('supervisor starting', { pid: process.pid, mode: paths.mode, home: paths.home, health: this.health?.address, proxy: describeListeners(this.deps.listeners), bundleDir: access.bundleDir });
    this.deps.slots.attach(workers);
    workers.startAll();
    notifier.startWatchdog(process.pid);
    void workers.whenAllRunning().then(() => {
      if (this.state !== 'starting') return;
      this.state = 'running';
      audit.write('supervisor.ready', { pid: process.pid, version: this.deps.version, start_ms: Date.now() - this.deps.startedAt });
      notifier.ready();
    });
  }

  /** Idempotent: the first call runs the shutdown, later calls wait for it. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<void> {
    const { notifier, audit, workers, db, paths, logger, lock } = this.deps;
    this.state = 'stopping';
    notifier.stopping();
    audit.write('supervisor.stopping', { reason });
    this.control?.close();
    this.deps.slots.stop();
    await workers.stopAll(reason);
    this.health?.server.close();
    closeListeners(this.deps.listeners);
    await audit.flush();
    await db.close();
    rmSync(paths.controlSocket, { force: true });
    logger.info('supervisor stopped', { reason });
    await closeLogger(logger);
    lock.release();
  }

  /** Applies keys that can change live; reports the ones that need a restart and leaves them as they were. */
  async reload(): Promise<{ applied: string[]; requiresRestart: string[] }> {
    const { config, applied, requiresRestart } = this.deps.config.reload();
    this.deps.logger.level = config.logging.level;
    this.deps.workers.pushConfig(config);
    this.deps.audit.write('supervisor.reloaded', { applied, requires_restart: requiresRestart });
    return { applied, requiresRestart };
  }

  async status(): Promise<StatusResult> {
    const { workers, paths, version, startedAt } = this.deps;
    const [snap, vault, allow, panic, identity, vaultHealth] = await Promise.all([
      this.snapshot(),
      callOwner(workers, Control['vault.status'], {}, null, STATUS_PROBE_MS).catch(() => null),
      callOwner(workers, Control['allow.list'], {}, null, STATUS_PROBE_MS).catch(() => null),
      callOwner(workers, Control['panic.status'], {}, null, STATUS_PROBE_MS).catch(() => null),
      callOwner(workers, Control['identity.posture'], {}, null, STATUS_PROBE_MS).catch(() => null),
      workers.get('vault').call(SupervisorToWorker.metrics, {}, STATUS_PROBE_MS).catch(() => null),
    ]);
    const siliconId = vaultHealth?.health.silicon_id;
    return {
      daemon: {
        version,
        pid: process.pid,
        mode: paths.mode,
        home: paths.home ?? paths.dataDir,
        state: snap.state,
        startedAt: new Date(startedAt).toISOString(),
        uptimeSecs: (snap.takenAt - startedAt) / 1000,
      },
      proxyAddress: describeListeners(this.deps.listeners),
      healthAddress: this.health?.address ?? null,
      counts: { sealed_keys: vault?.sealedKeys ?? null, allow_list: allow?.entries.length ?? null, active_threats: snap.activeThreats, audit_events: snap.auditEvents },
      siliconId: typeof siliconId === 'string' ? siliconId : null,
      panic,
      identity,
      workers: [...snap.workers],
      bundle: this.deps.slots.activeBundle(),
    };
  }

  async healthReport(): Promise<{ healthy: boolean; body: Record<string, unknown> }> {
    const [snap, metrics] = await Promise.all([this.snapshot(), this.deps.workers.metrics()]);
    const sections: Record<string, unknown> = {};
    for (const m of metrics) Object.assign(sections, m?.health ?? {});
    return renderHealthReport(snap, sections, databaseBytes(this.deps.paths.db));
  }

  /** What `status` and /health both report, read once per request. */
  private async snapshot(): Promise<DaemonSnapshot> {
    const [workers, events, threats] = await Promise.all([
      this.deps.workers.status(),
      this.deps.db.get<{ n: number }>('SELECT count(*) AS n FROM events').catch(() => undefined),
      // The scanner's findings not yet resolved (docs/scanner.md).
      this.deps.db.get<{ n: number }>("SELECT count(*) AS n FROM findings WHERE state != 'resolved'").catch(() => undefined),
    ]);
    return { state: this.daemonState(), version: this.deps.version, startedAt: this.deps.startedAt, takenAt: Date.now(), workers, auditEvents: events?.n ?? null, activeThreats: threats?.n ?? null };
  }

  private daemonState(): DaemonState {
    if (this.state !== 'running') return this.state;
    return this.deps.workers.allRunning() ? 'running' : 'degraded';
  }
}

/** raypher.db on disk: the main file and its write-ahead log (recent writes live in the WAL until a checkpoint). */
function databaseBytes(db: string): number | null {
  const main = fileSize(db);
  return main === null ? null : main + (fileSize(`${db}-wal`) ?? 0);
}

function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}
