// Builds everything the supervisor runs with, in order; whatever can fail at boot fails here, before any worker runs.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfigFile, workerEnvironment, type RaypherEnv } from '@raypher/shared/config';
import { openRaypherDb, type Db } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';
import { WORKER_NAMES } from '@raypher/shared/ipc';
import { closeLogger, createLogger } from '@raypher/shared/logging';
import { withLogDir, type RaypherPaths } from '@raypher/shared/paths';
import { AuditWriter } from './audit-writer.js';
import { resolveGroup } from './authz.js';
import { bundleProblems, installedBundleDir, installedSlotInfo } from './bundle.js';
import { BlueGreen } from './slots/blue-green.js';
import { planBoot } from './slots/boot-plan.js';
import { slotsFile, writeSlots } from './slots/slots-file.js';
import { lockHome, prepareDirs } from './home.js';
import { LiveConfig } from './live-config.js';
import { SupervisorMetrics } from './metrics.js';
import { bindProxyListeners, bindUnixListener, closeListeners, type BoundListener } from './proxy-listeners.js';
import { ServiceNotifier } from './sd-notify.js';
import { activatedProxyListeners } from './socket-activation.js';
import { Supervisor } from './supervisor.js';
import { WorkerManager } from './worker-manager.js';

export interface SupervisorOptions {
  paths: RaypherPaths;
  configFile: string;
  /** True when --config named the file: then it must exist. */
  configRequired: boolean;
  env: RaypherEnv;
  foreground: boolean;
  version: string;
}

/** Each failure names its cause; what was taken (lock, sockets, db, log) is given back before the error is thrown. */
export async function startSupervisor(opts: SupervisorOptions): Promise<Supervisor> {
  const startedAt = Date.now();
  const readConfig = () => loadConfigFile(opts.configFile, { required: opts.configRequired });
  const config = readConfig();
  // The config file in force (--config may name another than the home's default): the updater resolves trusted_root beside it.
  const paths = Object.freeze({ ...withLogDir(opts.paths, config.logging.log_dir), configFile: opts.configFile });
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
    // Sockets held by the service manager (raypher.socket) replace our own bind; see socket-activation.ts.
    const activated = activatedProxyListeners(opts.env, process.pid);
    if (activated !== null) listeners.push(...activated);
    else listeners.push(...bindProxyListeners(config.proxy));
    if (activated === null && config.proxy.unix_socket !== '') listeners.push(await bindUnixListener(config.proxy.unix_socket, paths.runDir));
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
    const audit = new AuditWriter(db, logger);
    const live = new LiveConfig(config, readConfig, opts.configFile);
    // Slots before any worker: an interrupted swap is settled and a trial's boot try is spent first.
    const slotsPath = slotsFile(paths.dataDir);
    mkdirSync(dirname(slotsPath), { recursive: true, mode: 0o700 });
    const plan = planBoot(slotsPath, installedSlotInfo(bundleDir, opts.version), new Date());
    if (plan.changed) writeSlots(slotsPath, plan.state);
    for (const note of plan.notes) {
      logger.warn(note.event === 'update.slots_recovered' ? 'slots.json unusable; booting the fallback slot' : 'blue/green state settled at start', { ...note.data });
      audit.write(note.event, note.data);
    }
    const slots = new BlueGreen(plan.state, { slotsPath, bundlesDir: dirname(slotsPath), config: () => live.current, logger, audit: (type, data) => audit.write(type, data), alert: (type, message) => void audit.raiseAlert(type, message) });
    const notifier = new ServiceNotifier(opts.env, logger);
    const workers = new WorkerManager({
      entry: (name) => slots.entryFor(name),
      onTrouble: (worker, why) => slots.onTrouble(worker, why),
      events: { bundleStaged: (staged) => slots.onBundleStaged(staged) },
      config: () => live.current,
      paths,
      vaultToken: randomBytes(32).toString('hex'),
      listeners,
      env: workerEnvironment(opts.env),
      logger,
      audit: (type, data) => audit.write(type, data),
      alert: (type, message) => void audit.raiseAlert(type, message),
      onStateChange: (_worker, manager) => notifier.status(manager.summary()),
    });
    const metrics = new SupervisorMetrics({ version: opts.version, startedAt, workerStatus: () => workers.status(), workerSnapshots: () => workers.metrics() });
    const supervisor = new Supervisor({ version: opts.version, startedAt, paths, config: live, lock, logger, db, audit, listeners, notifier, workers, metrics, slots });
    await supervisor.serve({ policy: { serviceUid: uid, operatorGid }, socketGid, bundleDir });
    return supervisor;
  } catch (err) {
    await db?.close();
    await closeLogger(logger);
    closeListeners(listeners);
    lock.release();
    throw err;
  }
}
