// Entry point of the updater worker process; the supervisor forks it from the active bundle.
import { runWorker } from '@raypher/shared/worker';
import { updaterWorker } from './updater-worker.js';

await runWorker('updater', updaterWorker);
