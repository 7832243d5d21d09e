// Entry point of the scanner worker process; the supervisor forks it from the active bundle.
import { runWorker } from '@raypher/shared/worker';
import { scannerWorker } from './scanner-worker.js';

await runWorker('scanner', scannerWorker);
