// Entry point of the proxy worker process; the supervisor forks it from the active bundle.
import { runWorker } from '@raypher/shared/worker';
import { proxyWorker } from './proxy-worker.js';

await runWorker('proxy', proxyWorker);
