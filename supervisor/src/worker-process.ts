// One worker's lifecycle: starting → ready → running → stopping → stopped, with backoff and failed.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Config } from '@raypher/shared/config';
import type { EventName } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';
import {
  ChannelTransport,
  IPC_TIMEOUTS,
  Peer,
  PROTOCOL_VERSION,
  SupervisorToWorker,
  WORKER_CHANNELS,
  WORKER_GRANTS,
  WorkerEvents,
  workerConfigFor,
  workerInitFor,
  type EventDef,
  type GrantedEventHandlers,
  type GrantedEventName,
  type GrantedEventPayload,
  type MethodDef,
  type MetricsSnapshot,
  type WorkerName,
  type WorkerState,
  type WorkerStatus,
} from '@raypher/shared/ipc';
import type { Logger } from '@raypher/shared/logging';
import type { RaypherPaths } from '@raypher/shared/paths';
import type { BoundListener } from './proxy-listeners.js';
import { policySettingsFrom, RestartPolicy } from './restart-policy.js';

export interface WorkerDeps<W extends WorkerName> {
  name: W;
  entry(): string;
  /** The supervisor's running config: its timings, and the sections the worker is handed. */
  config(): Config;
  /** What the supervisor can hand out; the worker gets what WORKER_GRANTS names for it. */
  paths: RaypherPaths;
  /** Per-boot vault socket token. */
  vaultToken: string;
  /** Listening sockets bound by the supervisor, passed after each hello. */
  listeners: readonly BoundListener[];
  env: Record<string, string>;
  logger: Logger;
  audit(type: EventName, data: Record<string, unknown>): void;
  alert(type: string, message: string): void;
  onStateChange(worker: WorkerProcess<W>): void;
  /** An exit nobody asked for, a hang or a failed start: the blue/green trial watches these. */
  onTrouble?(worker: WorkerProcess<W>, why: string): void;
  /** Events a worker sends when its grant names them (WORKER_GRANTS[name].events); from other workers they are not listened for. */
  events: GrantedEventHandlers;
  random?: () => number;
}

type Exit = { code: number | null; signal: string | null; at: string };

export class WorkerProcess<W extends WorkerName = WorkerName> {
  state: WorkerState = 'stopped';
  restarts = 0;
  lastExit: Exit | null = null;
  lastError: { code: string; message: string } | null = null;
  private child: ChildProcess | undefined;
  private peer: Peer | undefined;
  private wanted = false;
  private spawnedAt = 0;
  private readyAt: number | null = null;
  private lastHeartbeat: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private exitWaiters: Array<() => void> = [];
  private readonly policy: RestartPolicy;

  constructor(private readonly deps: WorkerDeps<W>) {
    this.policy = new RestartPolicy(() => policySettingsFrom(deps.config().supervisor), deps.random);
  }

  get name(): W {
    return this.deps.name;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  start(): void {
    this.wanted = true;
    if (this.child) return;
    clearTimeout(this.timer);
    this.policy.reset();
    this.spawn();
  }

  async stop(reason: string): Promise<void> {
    this.wanted = false;
    clearTimeout(this.timer);
    const child = this.child;
    if (!child) {
      this.setState('stopped');
      return;
    }
    this.setState('stopping');
    const { drain_timeout_ms: drain, kill_timeout_ms: kill } = this.deps.config().supervisor;
    const exited = this.waitForExit();
    this.peer?.call(SupervisorToWorker.stop, { reason }, { timeoutMs: Math.max(drain, 1) }).catch(() => undefined);
    if (await settlesWithin(exited, drain)) return;
    child.kill('SIGTERM');
    if (await settlesWithin(exited, kill)) return;
    this.deps.logger.warn('worker ignored SIGTERM; sending SIGKILL', { worker: this.name, pid: child.pid });
    child.kill('SIGKILL');
    await exited;
  }

  async restart(reason: string): Promise<void> {
    await this.stop(reason);
    this.start();
  }

  /** Called on the supervisor's liveness tick: kills a worker that stopped heartbeating or never got ready. */
  checkLiveness(now: number): void {
    const child = this.child;
    if (!child || this.state === 'stopping') return;
    const s = this.deps.config().supervisor;
    if (this.state === 'starting' && now - this.spawnedAt > s.start_timeout_ms) {
      this.kill('did not report ready in time', now - this.spawnedAt);
    } else if ((this.state === 'ready' || this.state === 'running') && this.lastHeartbeat !== null && now - this.lastHeartbeat > s.heartbeat_timeout_ms) {
      this.kill('heartbeat timeout', now - this.lastHeartbeat);
    }
  }

  /** Sends the worker its sections of the new running config. */
  pushConfig(config: Config): void {
    this.peer?.emit(WORKER_CHANNELS[this.name].configChanged, workerConfigFor(this.name, config));
  }

  /** Forwards a request to the worker; fails with the worker's last error when it is not running. */
  call<P, R>(def: MethodDef<P, R>, params: P, timeoutMs: number = IPC_TIMEOUTS.defaultRequestMs): Promise<R> {
    if (!this.peer || (this.state !== 'running' && this.state !== 'ready')) {
      const why = this.lastError ? `; last error: ${this.lastError.code}: ${this.lastError.message}` : '';
      return Promise.reject(new RaypherError('ERR_WORKER_NOT_RUNNING', `the ${this.name} worker is ${this.state}${why}`));
    }
    return this.peer.call(def, params, { timeoutMs });
  }

  async metrics(): Promise<MetricsSnapshot | null> {
    if (!this.peer || (this.state !== 'running' && this.state !== 'ready')) return null;
    return this.peer.call(SupervisorToWorker.metrics, {}, { timeoutMs: IPC_TIMEOUTS.workerMetricsMs }).catch(() => null);
  }

  status(now: number): WorkerStatus {
    return {
      name: this.name,
      pid: this.pid,
      state: this.state,
      uptimeSecs: this.readyAt !== null && this.child ? (now - this.readyAt) / 1000 : null,
      restarts: this.restarts,
      cpuPercent: null,
      rssBytes: null,
      heartbeatAgeSecs: this.lastHeartbeat !== null && this.child ? (now - this.lastHeartbeat) / 1000 : null,
      lastExit: this.lastExit,
      lastError: this.lastError,
    };
  }

  private kill(why: string, silentMs: number): void {
    const pid = this.child?.pid;
    this.deps.logger.error('worker hung; killing it', { worker: this.name, pid, why, silentMs });
    this.deps.audit('worker.hung', { worker: this.name, pid, reason: why, silent_ms: silentMs });
    this.deps.onTrouble?.(this, `hung: ${why}`);
    this.child?.kill('SIGKILL');
  }

  private spawn(): void {
    const entry = this.deps.entry();
    this.spawnedAt = Date.now();
    this.readyAt = null;
    this.lastHeartbeat = null;
    if (!existsSync(entry)) {
      const err = new RaypherError('ERR_WORKER_START_FAILED', `${this.name}: worker entry ${entry} does not exist; run 'npm run build' or check supervisor.bundle_dir`);
      this.deps.logger.error(err.message, { code: err.code });
      this.setState('starting');
      setImmediate(() => this.onExit(null, null, null));
      return;
    }
    const child = fork(entry, [], { env: this.deps.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [], serialization: 'json' });
    this.child = child;
    this.setState('starting');
    this.pipeOutput(child);
    const peer = new Peer(new ChannelTransport(child), {
      label: `worker ${this.name}`,
      onProtocolError: (err) => this.deps.logger.warn('bad message from worker', { worker: this.name, code: err.code, error: err.message }),
    });
    this.peer = peer;
    const listeners = WORKER_GRANTS[this.name].listeners ? this.deps.listeners : [];
    peer.handle(WORKER_CHANNELS[this.name].hello, (hello) => {
      if (hello.protocolVersion !== PROTOCOL_VERSION) {
        throw new RaypherError('ERR_IPC_VERSION_MISMATCH', `worker speaks protocol ${hello.protocolVersion}, supervisor ${PROTOCOL_VERSION}; the worker bundle does not match this supervisor`);
      }
      // After the hello reply is on its way: hand over the listening sockets (same channel, so in order).
      setImmediate(() => {
        for (const l of listeners) {
          peer.emitWithHandle(WorkerEvents.listener, { address: l.address, port: l.port, family: l.family }, l.handle).catch((err: unknown) =>
            this.deps.logger.error('cannot pass a listening socket to the worker', { worker: this.name, error: (err as Error).message }),
          );
        }
      });
      return workerInitFor(this.name, { config: this.deps.config(), paths: this.deps.paths, vaultToken: this.deps.vaultToken });
    });
    peer.on(WorkerEvents.ready, () => {
      if (this.child !== child) return;
      this.readyAt = Date.now();
      this.lastHeartbeat = this.readyAt;
      this.lastError = null;
      this.setState('ready');
      this.deps.audit('worker.ready', { worker: this.name, pid: child.pid, start_ms: this.readyAt - this.spawnedAt });
    });
    peer.on(WorkerEvents.heartbeat, () => {
      if (this.child !== child) return;
      this.lastHeartbeat = Date.now();
      if (this.state === 'ready') this.setState('running');
    });
    for (const event of WORKER_GRANTS[this.name].events) this.listenGranted(peer, event);
    peer.on(WorkerEvents.fatal, (error) => {
      if (this.child === child) this.lastError = error;
    });
    child.once('error', (err) => this.deps.logger.error('worker process error', { worker: this.name, error: err.message }));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    this.deps.audit('worker.started', { worker: this.name, pid: child.pid });
  }

  private listenGranted<E extends GrantedEventName>(peer: Peer, event: E): void {
    const handler: GrantedEventHandlers[E] = this.deps.events[event];
    // WorkerEvents[E] is the EventDef of exactly GrantedEventPayload<E>; TypeScript does not follow the index through E.
    const def = WorkerEvents[event] as EventDef<GrantedEventPayload<E>>;
    peer.on(def, (payload) => handler(payload, this.name));
  }

  private pipeOutput(child: ChildProcess): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = child[stream];
      if (!source) continue;
      createInterface({ input: source }).on('line', (line) => {
        this.deps.logger.log(stream === 'stderr' ? 'warn' : 'info', line, { worker: this.name, stream });
      });
    }
  }

  private onExit(child: ChildProcess | null, code: number | null, signal: NodeJS.Signals | null): void {
    if (child && this.child !== child) return;
    const now = Date.now();
    const pid = child?.pid ?? null;
    const upMs = this.readyAt !== null ? now - this.readyAt : null;
    this.child = undefined;
    this.peer = undefined;
    this.lastExit = { code, signal, at: new Date(now).toISOString() };
    this.deps.audit('worker.exited', { worker: this.name, pid, code, signal, expected: !this.wanted });
    for (const resolve of this.exitWaiters.splice(0)) resolve();
    if (!this.wanted) {
      this.setState('stopped');
      return;
    }
    this.deps.onTrouble?.(this, this.readyAt === null ? `failed to start (exit code ${code}, signal ${signal})` : `exited unexpectedly (code ${code}, signal ${signal})`);
    const decision = this.policy.onCrash(now, upMs);
    if (decision.kind === 'restart') {
      this.setState('backoff');
      this.deps.logger.warn('worker exited; restarting', { worker: this.name, pid, code, signal, delayMs: decision.delayMs });
      this.timer = setTimeout(() => {
        this.restarts++;
        this.deps.audit('worker.restarted', { worker: this.name, attempt: decision.attempt, delay_ms: decision.delayMs, restarts: this.restarts });
        this.spawn();
      }, decision.delayMs);
      return;
    }
    this.setState('failed');
    const message = `${this.name} worker restarted ${decision.restartsInWindow} times within the restart window; marked failed, retrying in ${Math.round(decision.retryInMs / 1000)} s`;
    this.deps.logger.error(message, { worker: this.name });
    this.deps.audit('worker.failed', { worker: this.name, restarts_in_window: decision.restartsInWindow, retry_in_ms: decision.retryInMs });
    this.deps.alert('worker.failed', message);
    this.timer = setTimeout(() => {
      this.policy.reset();
      this.restarts++;
      this.deps.audit('worker.restarted', { worker: this.name, attempt: 1, delay_ms: decision.retryInMs, restarts: this.restarts, after: 'cooldown' });
      this.spawn();
    }, decision.retryInMs);
  }

  private waitForExit(): Promise<void> {
    return new Promise((resolve) => (this.child ? this.exitWaiters.push(resolve) : resolve()));
  }

  private setState(state: WorkerState): void {
    if (this.state === state) return;
    this.state = state;
    this.deps.onStateChange(this);
  }
}

function settlesWithin(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
