// The worker side of the supervisor link: handshake, ready, heartbeats, stop, metrics, config changes.
import { getHeapStatistics } from 'node:v8';
import { Gauge, Registry } from 'prom-client';
import { toRaypherError } from '../errors/index.js';
import {
  ChannelTransport,
  IPC_TIMEOUTS,
  Peer,
  PROTOCOL_VERSION,
  SupervisorToWorker,
  WORKER_CHANNELS,
  WorkerEvents,
  type EventDef,
  type ListenerInfo,
  type MethodDef,
  type WorkerConfig,
  type WorkerInit,
  type WorkerName,
} from '../ipc/index.js';
import { closeLogger, createLogger, type Logger } from '../logging/index.js';

/** What the runtime gives every worker besides its init. */
export interface WorkerServices<W extends WorkerName> {
  readonly name: W;
  readonly logger: Logger;
  /** Register this worker's metrics here; names must start with raypher_<worker>_. */
  readonly metrics: Registry;
  /** Serve a request the supervisor forwards to this worker. */
  handle<P, R>(def: MethodDef<P, R>, fn: (params: P) => Promise<R> | R): void;
  /** Send an event to the supervisor (one of WorkerEvents, e.g. the updater's bundleStaged). */
  emit<P>(def: EventDef<P>, payload: P): void;
  /** Listening sockets the supervisor hands over (workers granted listeners); earlier ones are replayed. */
  onListener(fn: (info: ListenerInfo, handle: unknown) => void): void;
}

/** What a worker is handed (its config sections, paths and, per its grant, the vault token) plus the runtime's services. */
export type WorkerContext<W extends WorkerName> = Omit<WorkerInit<W>, 'worker' | 'heartbeatIntervalMs'> & WorkerServices<W>;

export interface RunningWorker<W extends WorkerName> {
  stop(): Promise<void>;
  /** Section(s) this worker contributes to /health, e.g. { proxy: {...} }. */
  health?(): Record<string, unknown>;
  /** The worker's sections of the running config after a reload. */
  onConfig?(config: WorkerConfig<W>): void;
}

export interface WorkerModule<W extends WorkerName> {
  start(ctx: WorkerContext<W>): Promise<RunningWorker<W>>;
}

/** Exit codes a worker uses; the supervisor logs them. */
export const WORKER_EXIT = { ok: 0, startFailed: 70, noChannel: 78 } as const;

export async function runWorker<W extends WorkerName>(name: W, module: WorkerModule<W>): Promise<void> {
  if (!process.send) {
    process.stderr.write(`raypher ${name} worker: must be started by the Raypher supervisor ('raypher run'), not directly\n`);
    process.exit(WORKER_EXIT.noChannel);
  }
  // Ctrl-C in a foreground terminal reaches the whole process group; the supervisor orders the shutdown.
  process.on('SIGINT', () => undefined);

  const peer = new Peer(new ChannelTransport(process), { label: `worker ${name}` });
  // Listening sockets may arrive right after the hello reply, before start() subscribes: buffer them.
  const listeners: Array<[ListenerInfo, unknown]> = [];
  let onListener: ((info: ListenerInfo, handle: unknown) => void) | null = null;
  peer.on(WorkerEvents.listener, (info, handle) => (onListener ? onListener(info, handle) : listeners.push([info, handle])));
  peer.onClose(() => process.exit(WORKER_EXIT.ok)); // supervisor gone: never linger as an orphan

  // The reply is validated against this worker's init schema (its grant) before it is used.
  const channel = WORKER_CHANNELS[name];
  let init: WorkerInit<W>;
  try {
    init = await peer.call(channel.hello, { protocolVersion: PROTOCOL_VERSION, worker: name, pid: process.pid }, { timeoutMs: IPC_TIMEOUTS.helloMs });
  } catch (err) {
    // No log directory yet: stderr reaches the supervisor's log, the fatal event its status.
    const error = toRaypherError(err, `${name} hello`);
    process.stderr.write(`raypher ${name} worker: cannot start: ${error.code}: ${error.message}\n`);
    await peer.emitFlushed(WorkerEvents.fatal, error.toWire());
    process.exit(WORKER_EXIT.startFailed);
  }
  // worker and heartbeatIntervalMs are the runtime's; the rest is the worker's.
  const { worker: _worker, heartbeatIntervalMs, ...handed } = init;
  const { logging } = init.config;
  const logger = createLogger({ process: name, dir: init.paths.logDir, level: logging.level, rotation: logging.rotation, retentionDays: logging.retention_days, console: false });
  const metrics = new Registry();
  // Event-loop lag measured from the heartbeat timer's drift: no extra timer, so idle stays idle.
  let maxLagMs = 0;
  new Gauge({
    name: `raypher_${name}_heartbeat_lag_seconds`,
    help: `Largest heartbeat timer delay of the ${name} worker since the last scrape (event loop lag)`,
    registers: [metrics],
    collect() {
      this.set(maxLagMs / 1000);
      maxLagMs = 0;
    },
  });

  // Heap in use, so a rising RSS can be told apart from a leak (the soak benchmark samples it).
  new Gauge({
    name: `raypher_${name}_heap_used_bytes`,
    help: `V8 heap in use by the ${name} worker`,
    registers: [metrics],
    collect() {
      this.set(getHeapStatistics().used_heap_size);
    },
  });

  let running: RunningWorker<W>;
  try {
    running = await module.start({ ...handed, name, logger, metrics,
      handle: (def, fn) => void peer.handle(def, fn),
      emit: (def, payload) => peer.emit(def, payload),
      onListener: (fn) => {
        onListener = fn;
        for (const [info, handle] of listeners.splice(0)) fn(info, handle);
      },
    });
  } catch (err) {
    const error = toRaypherError(err, `${name} start`);
    logger.error('worker start failed', { code: error.code, error: error.message });
    await peer.emitFlushed(WorkerEvents.fatal, error.toWire());
    await closeLogger(logger);
    process.exit(WORKER_EXIT.startFailed);
  }

  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(heartbeat);
    logger.info('worker stopping', { reason });
    await running.stop().catch((err: unknown) => logger.error('stop failed', { error: toRaypherError(err, 'stop').message }));
    await closeLogger(logger);
  };

  peer.handle(SupervisorToWorker.stop, async ({ reason }) => {
    await stop(reason);
    setImmediate(() => process.exit(WORKER_EXIT.ok));
    return {};
  });
  peer.handle(SupervisorToWorker.metrics, async () => ({ text: await metrics.metrics(), health: running.health?.() ?? {} }));
  peer.on(channel.configChanged, (config) => {
    logger.level = config.logging.level;
    running.onConfig?.(config);
  });
  process.on('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(WORKER_EXIT.ok)));

  // Heartbeats come from this worker's own event loop: a blocked loop stops them, and the supervisor notices.
  let seq = 0;
  peer.emit(WorkerEvents.ready, {});
  peer.emit(WorkerEvents.heartbeat, { seq: seq++ });
  let last = performance.now();
  const heartbeat = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last - heartbeatIntervalMs);
    last = now;
    peer.emit(WorkerEvents.heartbeat, { seq: seq++ });
  }, heartbeatIntervalMs);
  logger.info('worker ready', { pid: process.pid });
}
