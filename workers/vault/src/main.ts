// Entry point of the vault worker process; the supervisor forks it from the active bundle.
import { runWorker } from '@raypher/shared/worker';
import { vaultWorker } from './vault-worker.js';

await runWorker('vault', vaultWorker);
