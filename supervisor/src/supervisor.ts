// The supervisor: owns config, home, lock, logs, audit, workers, control socket, /health and sd_notify.
import { randomBytes } from 'node:crypto';
import { statSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { diffConfig, isLiveKey, isLoopback, loadConfigFile, parseConfigObject, workerEnvironment, type Config, type RaypherEnv } from '@raypher/shared/config';
import { openRaypherDb, type Db } from '@raypher/shared/db';
import type { StatusResult } from '@raypher/shared/ipc';
import { closeLogger, createLogger, type Logger } from '@raypher/shared/logging';
import { withLogDir, type RaypherPaths } from '@raypher/shared/paths';
import { AuditWriter } from './audit-writer.js';
import { resolveGroup } from './authz.js';
import { bundleProblems, installedBundleDir, workerEntry } from './bundle.js';
import { startControlServer } from './control-server.js';
import { startHealthServer } from './health-server.js';
import { lockHome, prepareDirs, type HomeLock } from './home.js';
import { SupervisorMetrics } from './metrics.js';
import { bindProxyListeners, bindUnixListener, closeListeners, describeListeners, type BoundListener } from './proxy-listeners.js';
import { buildRoutes, callOwner } from './routes.js';
import { ServiceNotifier } from './sd-notify.js';
import { WorkerManager } from './worker-manager.js';
import { Control, WORKER_NAMES } from '@raypher/shared/ipc';
import { RaypherError } from '@raypher/shared/errors';

export interface SupervisorOptions {
  paths: RaypherPaths;
  configFile: string;
  /** True when --config named the file: then it must exist. */
  configRequired: boolean;
  env: RaypherEnv;
  foreground: boolean;
  version: string;
}

type DaemonState = StatusResult['daemon']['state'];

/** How long `status` waits for the vault's key count, in ms. */
const STATUS_PROBE_MS = 500;

export class Supervisor {
  private state: DaemonState = 'starting';
  private readonly startedAt = Date.now();
  private workers!: WorkerManager;
  private control: Server | undefined;
  private health: { server: HttpServer; address: string } | undefined;
  private metrics!: SupervisorMetrics;
  private notifier!: ServiceNotifier;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly opts: SupervisorOptions,
    private config: Config,
    private readonly paths: RaypherPaths,
    private readonly lock: HomeLock,
    private readonly logger: Logger,
    private readonly db: Db,
    private readonly audit: AuditWriter,
    private readonly listeners: readonly BoundListener[],
  ) {}

  /** Everything that can fail at boot fails here, before any worker runs, with a message naming the cause. */
  static async start(opts: SupervisorOptions): Promise<Supervisor> {
    const config = loadConfigFile(opts.configFile, { required: opts.configRequired });
    const paths = withLogDir(opts.paths, config.logging.log_dir);
    const uid = process.getuid?.() ?? 0;
    const operatorGid = resolveGroup(config.service.operator_group, 'service.operator_group');
    const socketGid = resolveGroup(config.service.socket_group, 'service.socket_group');
    const bundleDir = config.supervisor.bundle_dir || installedBundleDir();
    const missing = bundleProblems(bundleDir, WORKER_NAMES);
    if (missing.length > 0) throw new RaypherError('ERR_WORKER_START_FAILED', `worker bundle ${bundleDir} is incomplete: ${missing.join('; ')}`);
    prepareDirs(paths, uid, socketGid);
    const lock = lockHome(paths.lockFile, process.pid);
    const listeners: BoundListener[] = [];
    try {
      listeners.push(...bindProxyListeners(config.proxy));
      if (config.proxy.unix_socket !== '') listeners.push(await bindUnixListener(config.proxy.unix_socket, paths.runDir));
    } catch (err) {
      closeListeners(listeners);
      lock.release();
      throw err;
    }
    const logger = createLogger({
      process: 'supervisor',
      dir: paths.logDir,
      level: config.logging.level,
      rotation: config.logging.rotation,
      retentionDays: config.logging.retention_days,
      console: opts.foreground,
    });
    let db: Db | undefined;
    try {
      db = await openRaypherDb(paths.db);
      const sup = new Supervisor(opts, config, paths, lock, logger, db, new AuditWriter(db, logger), listeners);
      await sup.boot(bundleDir, { serviceUid: uid, operatorGid }, socketGid);
      return sup;
    } catch (err) {
      await db?.close();
      await closeLogger(logger);
      closeListeners(listeners);
      lock.release();
      throw err;
    }
  }

  private async boot(bundleDir: string, policy: { serviceUid: number; operatorGid: number | null }, socketGid: number | null): Promise<void> {
    this.notifier = new ServiceNotifier(this.opts.env, this.logger);
    this.workers = new WorkerManager({
      entry: (name) => workerEntry(bundleDir, name),
      config: () => this.config,
      paths: workerPaths(this.paths),
      vaultToken: randomBytes(32).toString('hex'),
      proxyListeners: this.listeners,
      env: workerEnvironment(this.opts.env),
      logger: this.logger,
      audit: (type, data) => this.audit.write(type, data),
      alert: (type, message) => void this.audit.raiseAlert(type, message),
      onStateChange: () => this.onWorkerStateChange(),
    });
    this.metrics = new SupervisorMetrics({
      version: this.opts.version,
      startedAt: this.startedAt,
      workerStatus: () => this.workers.status(),
      workerSnapshots: () => Promise.all(this.workers.workers.map((w) => w.metrics())),
    });
    this.control = await startControlServer({
      socketPath: this.paths.controlSocket,
      mode: socketGid === null ? 0o600 : 0o660,
      gid: socketGid,
      policy,
      routes: buildRoutes({
        version: this.opts.version,
        logDir: this.paths.logDir,
        workers: this.workers,
        status: () => this.status(),
        health: () => this.healthReport(),
        reload: () => this.reload(),
      }),
      logger: this.logger,
    });
    const h = this.config.health;
    if (h.enabled) {
      this.health = await startHealthServer({
        host: h.listen_addr,
        port: h.listen_port,
        health: () => this.healthReport(),
        metrics: () => this.metrics.render(),
        metricsContentType: this.metrics.contentType,
      });
    }
    for (const section of ['proxy', 'health'] as const) {
      const addr = this.config[section].listen_addr;
      if (!isLoopback(addr)) this.logger.warn(`${section} listens on ${addr}, reachable from the network (${section}.allow_remote = true)`, { section, address: addr });
    }
    this.logger.info('supervisor starting', { pid: process.pid, mode: this.paths.mode, home: this.paths.home, health: this.health?.address, proxy: describeListeners(this.listeners), bundleDir });
    this.workers.startAll();
    this.notifier.startWatchdog(process.pid);
    void this.workers.whenAllRunning().then(() => {
      if (this.state !== 'starting') return;
      this.state = 'running';
      this.audit.write('supervisor.ready', { pid: process.pid, version: this.opts.version, start_ms: Date.now() - this.startedAt });
      this.notifier.ready();
    });
  }

  /** Idempotent: the first call runs the shutdown, later calls wait for it. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<void> {
    this.state = 'stopping';
    this.notifier.stopping();
    this.audit.write('supervisor.stopping', { reason });
    this.control?.close();
    await this.workers.stopAll(reason);
    this.health?.server.close();
    closeListeners(this.listeners);
    await this.audit.flush();
    await this.db.close();
    rmSync(this.paths.controlSocket, { force: true });
    this.logger.info('supervisor stopped', { reason });
    await closeLogger(this.logger);
    this.lock.release();
  }

  /** Applies keys that can change live; reports the ones that need a restart and leaves them as they were. */
  async reload(): Promise<{ applied: string[]; requiresRestart: string[] }> {
    const next = loadConfigFile(this.opts.configFile, { required: this.opts.configRequired });
    const changed = diffConfig(this.config, next);
    const applied = changed.filter(isLiveKey);
    const requiresRestart = changed.filter((k) => !isLiveKey(k));
    const merged = structuredClone(this.config) as unknown as Record<string, Record<string, unknown>>;
    for (const k of applied) {
      const [section, key] = k.split('.') as [keyof Config, string];
      (merged[section] as Record<string, unknown>)[key] = (next[section] as Record<string, unknown>)[key];
    }
    this.config = parseConfigObject(merged, this.opts.configFile);
    this.logger.level = this.config.logging.level;
    this.workers.pushConfig(this.config);
    this.audit.write('supervisor.reloaded', { applied, requires_restart: requiresRestart });
    return { applied, requiresRestart };
  }

  async status(): Promise<StatusResult> {
    const [workers, events, vault, allow, panic, identity] = await Promise.all([
      this.workers.status(),
      this.db.get<{ n: number }>('SELECT count(*) AS n FROM events').catch(() => undefined),
      callOwner(this.workers, Control['vault.status'], {}, null, STATUS_PROBE_MS).catch(() => null),
      callOwner(this.workers, Control['allow.list'], {}, null, STATUS_PROBE_MS).catch(() => null),
      callOwner(this.workers, Control['panic.status'], {}, null, STATUS_PROBE_MS).catch(() => null),
      callOwner(this.workers, Control['identity.posture'], {}, null, STATUS_PROBE_MS).catch(() => null),
    ]);
    return {
      daemon: {
        version: this.opts.version,
        pid: process.pid,
        mode: this.paths.mode,
        home: this.paths.home ?? this.paths.dataDir,
        state: this.daemonState(),
        startedAt: new Date(this.startedAt).toISOString(),
        uptimeSecs: (Date.now() - this.startedAt) / 1000,
      },
      proxyAddress: describeListeners(this.listeners),
      healthAddress: this.health?.address ?? null,
      // Active threats are filled by the scanner issue.
      counts: { sealed_keys: vault?.sealedKeys ?? null, allow_list: allow?.entries.length ?? null, active_threats: null, audit_events: events?.n ?? null },
      panic,
      identity,
      workers,
    };
  }

  async healthReport(): Promise<{ healthy: boolean; body: Record<string, unknown> }> {
    const [workers, snapshots] = await Promise.all([this.workers.status(), Promise.all(this.workers.workers.map((w) => w.metrics()))]);
    const healthy = this.workers.allRunning() && this.state === 'running';
    const sections: Record<string, unknown> = {};
    for (const s of snapshots) Object.assign(sections, s?.health ?? {});
    const events = await this.db.get<{ n: number }>('SELECT count(*) AS n FROM events').catch(() => undefined);
    const body: Record<string, unknown> = {
      status: healthy ? 'healthy' : this.state === 'stopping' ? 'stopping' : 'degraded',
      version: this.opts.version,
      uptime_secs: Math.floor((Date.now() - this.startedAt) / 1000),
      silicon_id: null,
      workers: Object.fromEntries(workers.map((w) => [w.name, { state: w.state, pid: w.pid, restarts: w.restarts, heartbeat_age_secs: w.heartbeatAgeSecs }])),
      ...sections,
      database: { total_events: events?.n ?? null, db_size_bytes: fileSize(this.paths.db) },
    };
    return { healthy, body };
  }

  private daemonState(): DaemonState {
    if (this.state !== 'running') return this.state;
    return this.workers.allRunning() ? 'running' : 'degraded';
  }

  private onWorkerStateChange(): void {
    const running = this.workers.workers.filter((w) => w.state === 'running').length;
    const problems = this.workers.workers.filter((w) => w.state === 'failed').map((w) => `${w.name} failed`);
    this.notifier.status(`${running}/${this.workers.workers.length} workers running${problems.length ? `; ${problems.join(', ')}` : ''}`);
  }
}

/** The paths a worker may need; each worker opens only its own files. */
function workerPaths(p: RaypherPaths): Record<string, string> {
  const { home, dataDir, runDir, logDir, db, vaultDb, hostKey, tpmDir, vaultSocket } = p;
  return { home: home ?? '', dataDir, runDir, logDir, db, vaultDb, hostKey, tpmDir, vaultSocket };
}

function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}
