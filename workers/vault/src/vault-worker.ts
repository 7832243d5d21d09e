// The vault worker: will own vault.db and the data key (its domain logic lands with the vault issue).
import type { WorkerModule } from '@raypher/shared/worker';

export const vaultWorker: WorkerModule = {
  async start() {
    return { stop: async () => undefined, health: () => ({ vault: { sealed_keys: null, protector: null } }) };
  },
};
