// Public face of the worker runtime.
export { runWorker, type RunningWorker, type WorkerContext, type WorkerModule } from './runtime.js';
