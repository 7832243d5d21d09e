// Public face of the worker runtime.
export { runWorker, WORKER_EXIT, type RunningWorker, type WorkerContext, type WorkerModule } from './runtime.js';
