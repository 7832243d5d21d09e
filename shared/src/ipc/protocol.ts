// The one declaration of Raypher's IPC surface: version, envelopes, methods, events and access levels.
import { defineEvents, defineMethods } from './define.js';
import { array, int, literal, nullable, num, object, optional, record, str, unknownValue, bool, empty, type Infer } from './schema.js';
import { PROXY_CONTROL_SPECS, VAULT_CONTROL_SPECS, forwardedSpecs, identityPosture, panicState } from './vault-protocol.js';

export const PROTOCOL_VERSION = 2;

/** Frame and queue bounds (bytes / messages). */
export const IPC_LIMITS = {
  maxFrameBytes: 1024 * 1024,
  maxQueuedWrites: 1024,
  maxPendingRequests: 1024,
} as const;

/** Timeouts for IPC requests, in milliseconds. */
export const IPC_TIMEOUTS = {
  defaultRequestMs: 5_000,
  helloMs: 5_000,
  workerMetricsMs: 1_000,
} as const;

export { defineEvents, defineMethods, type Access, type EventDef, type MethodDef } from './define.js';

// ---- envelopes ----------------------------------------------------------------------------

export const wireErrorSchema = object({ code: str({ max: 64 }), message: str({ max: 4096 }) });

export const requestEnvelope = object({
  t: literal('req'),
  id: int({ min: 1 }),
  m: str({ max: 128 }),
  p: unknownValue(),
});
export const responseEnvelope = object({
  t: literal('res'),
  id: int({ min: 0 }),
  ok: bool(),
  r: optional(unknownValue()),
  e: optional(wireErrorSchema),
});
export const eventEnvelope = object({ t: literal('evt'), n: str({ max: 128 }), p: unknownValue() });

export type RequestEnvelope = Infer<typeof requestEnvelope>;
export type ResponseEnvelope = Infer<typeof responseEnvelope>;
export type EventEnvelope = Infer<typeof eventEnvelope>;
export type Envelope = RequestEnvelope | ResponseEnvelope | EventEnvelope;

// ---- shared payload shapes ----------------------------------------------------------------

export const WORKER_NAMES = ['vault', 'proxy', 'scanner', 'updater'] as const;
export type WorkerName = (typeof WORKER_NAMES)[number];
export const workerName = literal(...WORKER_NAMES);

export const WORKER_STATES = ['starting', 'ready', 'running', 'stopping', 'stopped', 'backoff', 'failed'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export const helloParams = object({ protocolVersion: int({ min: 0 }), client: str({ max: 64 }), version: str({ max: 64 }) });
export const helloResult = object({ protocolVersion: int({ min: 0 }), daemonVersion: str({ max: 64 }) });

export const workerStatus = object({
  name: workerName,
  pid: nullable(int()),
  state: literal(...WORKER_STATES),
  uptimeSecs: nullable(num()),
  restarts: int({ min: 0 }),
  cpuPercent: nullable(num()),
  rssBytes: nullable(int({ min: 0 })),
  heartbeatAgeSecs: nullable(num()),
  lastExit: nullable(object({ code: nullable(int()), signal: nullable(str()), at: str() })),
  /** The last error a worker reported before exiting (e.g. why it refused to start). */
  lastError: nullable(wireErrorSchema),
});
export type WorkerStatus = Infer<typeof workerStatus>;

export const statusResult = object({
  daemon: object({
    version: str(),
    pid: int(),
    mode: literal('user', 'system'),
    home: str(),
    state: literal('starting', 'running', 'degraded', 'stopping'),
    startedAt: str(),
    uptimeSecs: num(),
  }),
  proxyAddress: str(),
  healthAddress: nullable(str()),
  counts: record(nullable(int())),
  /** Null when the proxy could not be asked. */
  panic: nullable(panicState),
  /** Null when the proxy could not be asked. */
  identity: nullable(identityPosture),
  workers: array(workerStatus),
});
export type StatusResult = Infer<typeof statusResult>;

export const logsReadParams = object({
  process: str({ max: 32, pattern: /^(supervisor|vault|proxy|scanner|updater)$/ }),
  lines: int({ min: 1, max: 10_000 }),
  cursor: optional(object({ file: str({ max: 256 }), offset: int({ min: 0 }) })),
});
export const logsReadResult = object({
  lines: array(str()),
  cursor: nullable(object({ file: str(), offset: int({ min: 0 }) })),
});

export const reloadResult = object({ applied: array(str()), requiresRestart: array(str()) });

// ---- raypherctl <-> supervisor (control socket) --------------------------------------------

export const Control = defineMethods({
  hello: { access: 'read', params: helloParams, result: helloResult },
  status: { access: 'read', params: empty(), result: statusResult },
  health: { access: 'read', params: empty(), result: record(unknownValue()) },
  'logs.read': { access: 'admin', params: logsReadParams, result: logsReadResult },
  'worker.restart': { access: 'admin', params: object({ worker: workerName }), result: empty() },
  'worker.stop': { access: 'admin', params: object({ worker: workerName }), result: empty() },
  'worker.start': { access: 'admin', params: object({ worker: workerName }), result: empty() },
  'config.reload': { access: 'admin', params: empty(), result: reloadResult },
  ...VAULT_CONTROL_SPECS,
  ...PROXY_CONTROL_SPECS,
});

/** The vault's operator methods as the supervisor forwards them to the vault worker, with the caller. */
export const VaultOps = defineMethods(forwardedSpecs(VAULT_CONTROL_SPECS));

/** The allow-list methods as the supervisor forwards them to the proxy worker. */
export const ProxyOps = defineMethods(forwardedSpecs(PROXY_CONTROL_SPECS));

// ---- supervisor <-> worker (the child's IPC channel) ---------------------------------------

export const workerInit = object({
  worker: workerName,
  config: unknownValue(),
  paths: record(str()),
  heartbeatIntervalMs: int({ min: 10 }),
  /** Per-boot secret for the vault socket; given to the vault and proxy workers only. */
  vaultToken: optional(str({ max: 128 })),
});
export type WorkerInit = Infer<typeof workerInit>;

export const metricsSnapshot = object({ text: str({ max: 512 * 1024 }), health: record(unknownValue()) });
export type MetricsSnapshot = Infer<typeof metricsSnapshot>;

/** Requests a worker sends to the supervisor. */
export const WorkerToSupervisor = defineMethods({
  hello: { access: 'read', params: object({ protocolVersion: int({ min: 0 }), worker: workerName, pid: int() }), result: workerInit },
});

/** Requests the supervisor sends to a worker. */
export const SupervisorToWorker = defineMethods({
  stop: { access: 'admin', params: object({ reason: str({ max: 256 }) }), result: empty() },
  metrics: { access: 'read', params: empty(), result: metricsSnapshot },
});

export const WorkerEvents = defineEvents({
  ready: empty(),
  heartbeat: object({ seq: int({ min: 0 }) }),
  configChanged: object({ config: unknownValue() }),
  /** Sent by a worker just before it exits because it cannot run. */
  fatal: wireErrorSchema,
  /** Supervisor → proxy worker: a bound listening socket travels with this event as the OS handle; for 'unix' the address is its path. */
  listener: object({ address: str({ max: 4096 }), port: int({ min: 0, max: 65535 }), family: literal('IPv4', 'IPv6', 'unix') }),
});
