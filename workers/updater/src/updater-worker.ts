// The updater worker: recovers after a kill, then checks the signed feed on a schedule and on request, and stages bundles.
import { AuditLedger, openRaypherDb } from '@raypher/shared/db';
import { serveOwnedMethods, WorkerEvents } from '@raypher/shared/ipc';
import type { WorkerModule } from '@raypher/shared/worker';
import { recoverUpdater } from './check.js';
import { readInstalledRelease } from './installed-bundle.js';
import { updaterMetrics } from './updater-metrics.js';
import { UpdaterService } from './updater-service.js';
import { resolveSettings } from './worker-settings.js';

export const updaterWorker: WorkerModule<'updater'> = {
  async start(ctx) {
    const { dataDir, db, configFile } = ctx.paths;
    // Before anything else: a check killed mid-way leaves no partial download, staging dir or unverified staged tree.
    const recovered = await recoverUpdater(dataDir);
    if (recovered.reason) ctx.logger.warn('updater state recovered at start', { phase: recovered.phase, reason: recovered.reason });
    const auditDb = await openRaypherDb(db);
    const service = new UpdaterService(
      {
        dataDir,
        configFile,
        installed: readInstalledRelease(),
        audit: new AuditLedger(auditDb, 'updater'),
        db: auditDb,
        logger: ctx.logger,
        onStaged: (notice) => ctx.emit(WorkerEvents.bundleStaged, notice),
      },
      resolveSettings(ctx.config.updater, configFile),
    );
    service.attachMetrics(updaterMetrics(ctx.metrics, () => service.status()));

    serveOwnedMethods(ctx, 'updater', {
      'update.status': () => service.status(),
      'update.check': ({ caller }) => service.check('operator', caller ?? undefined, service.status().auto_apply),
      'update.download': ({ caller }) => service.check('operator', caller ?? undefined, false),
      'update.pause': ({ caller }) => service.setPaused(true, caller ?? undefined),
      'update.resume': ({ caller }) => service.setPaused(false, caller ?? undefined),
    });
    service.start();

    return {
      async stop() {
        await service.stop();
        await auditDb.close();
      },
      onConfig(next) {
        service.configure(resolveSettings(next.updater, configFile));
      },
      health: () => {
        const s = service.status();
        return {
          updater: {
            enabled: s.enabled,
            state: s.state,
            paused: s.paused,
            installed: s.installed,
            available: s.available,
            staged: s.staged === null ? null : { version: s.staged.version, release_counter: s.staged.release_counter },
            last_check: s.last_check === null ? null : { at: s.last_check.at, result: s.last_check.result, error_code: s.last_check.error_code, alert: s.last_check.alert },
            needs_supervisor: service.needsSupervisor(),
            next_check_at: s.next_check_at,
            error: s.config_error,
          },
        };
      },
    };
  },
};
