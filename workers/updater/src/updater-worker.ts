// The updater worker: will check the signed feed and stage bundles (update issue); reports its settings now.
import type { WorkerModule } from '@raypher/shared/worker';

export const updaterWorker: WorkerModule<'updater'> = {
  async start(ctx) {
    let config = ctx.config.updater;
    return {
      stop: async () => undefined,
      onConfig(next) {
        config = next.updater;
      },
      health: () => ({ updater: { enabled: config.enabled, feed_configured: config.metadata_url !== '', last_check: null } }),
    };
  },
};
