// Public face of the worker runtime.
export { runWorker, WORKER_EXIT, type RunningWorker, type WorkerContext, type WorkerModule, type WorkerServices } from './runtime.js';
