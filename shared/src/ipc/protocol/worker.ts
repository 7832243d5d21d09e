// supervisor <-> worker (the child's IPC channel): start-up, stop, metrics and the worker's events.
import { defineEvents, defineMethods } from '../define.js';
import { empty, int, literal, object, optional, record, str, unknownValue, type Infer } from '../schema.js';
import { wireErrorSchema } from './envelopes.js';
import { workerName } from './common.js';

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
