// raypherctl <-> supervisor (the control socket): the supervisor's own methods, then every worker's operator methods.
import { defineControlMethods } from '../define.js';
import { array, empty, int, literal, nullable, num, object, optional, record, str, unknownValue, type Infer } from '../schema.js';
import { IPC_TIMEOUTS, wireErrorSchema } from './envelopes.js';
import { QUICK_CONTROL_MS, WORKER_STATES, workerName, type ControlOwner } from './common.js';
import { ProxyControl, identityPosture, panicState } from './proxy.js';
import { VaultControl } from './vault.js';
import { UpdaterControl } from './updater.js';
import { ScannerControl } from './scanner.js';

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
  /** SHA-256 of the TPM endorsement key's public part, else of /etc/machine-id (prefixed with its source); null until the vault reports it. */
  siliconId: nullable(str({ max: 128 })),
  /** The active worker bundle (blue/green slots); absent from a daemon that predates slots. */
  bundle: optional(object({ slot: str(), version: str(), release_counter: int({ min: 0 }), state: literal('committed', 'trial', 'swapping') })),
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

export const slotRow = object({
  slot: str(),
  version: str(),
  release_counter: int({ min: 0 }),
  /** active, previous, trial, last-known-good, kept or bad (a slot can be several: 'active,trial'). */
  state: str({ max: 128 }),
  tries_left: nullable(int()),
  when: str(),
  dir: str({ max: 4096 }),
});
export const slotsResult = object({
  slots: array(slotRow),
  bad: array(object({ version: str(), release_counter: int({ min: 0 }), reason: str({ max: 4096 }), at: str() })),
  swap: nullable(object({ kind: literal('apply', 'rollback'), from: str(), to: str(), done: array(workerName) })),
});
export type SlotsResult = Infer<typeof slotsResult>;
export const swapResult = object({ from: str(), to: str(), version: str(), ms: int({ min: 0 }) });

export const reloadResult = object({ applied: array(str()), requiresRestart: array(str()) });

/** The methods the supervisor answers itself. */
export const SupervisorControl = defineControlMethods('supervisor', {
  hello: { access: 'read', timeoutMs: IPC_TIMEOUTS.helloMs, params: helloParams, result: helloResult },
  status: { access: 'read', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: statusResult },
  health: { access: 'read', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: record(unknownValue()) },
  'logs.read': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: logsReadParams, result: logsReadResult },
  /** Stop message, SIGTERM, SIGKILL: up to drain_timeout_ms + kill_timeout_ms (7 s by default), then the start. */
  'worker.restart': { access: 'admin', timeoutMs: 30_000, params: object({ worker: workerName }), result: empty() },
  'worker.stop': { access: 'admin', timeoutMs: 30_000, params: object({ worker: workerName }), result: empty() },
  'worker.start': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: object({ worker: workerName }), result: empty() },
  'config.reload': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: reloadResult },
  /** Blue/green: every worker onto a staged bundle, one at a time (each up to start_timeout_ms + drain). */
  'update.apply': { access: 'admin', timeoutMs: 180_000, params: object({ version: optional(str({ max: 64 })) }), result: swapResult },
  /** Every worker back onto the previous slot; the release left is marked bad. */
  'update.rollback': { access: 'admin', timeoutMs: 180_000, params: empty(), result: swapResult },
  'update.slots': { access: 'read', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: slotsResult },
});

/** Every worker-owned method, by name: the supervisor forwards each to its owner. A new worker adds its table here. */
export const WorkerControl = Object.freeze({
  ...VaultControl,
  ...ProxyControl,
  ...UpdaterControl,
  ...ScannerControl,
});

/** Every method of the control socket, by name; a name is declared once, in its owner's protocol file. */
export const Control = Object.freeze({ ...SupervisorControl, ...WorkerControl });
export type ControlMethods = typeof Control;
export type ControlMethodName = keyof ControlMethods;

/** The control methods one owner answers, by name. */
export type MethodsOwnedBy<O extends ControlOwner> = {
  [K in ControlMethodName as ControlMethods[K]['owner'] extends O ? K : never]: ControlMethods[K];
};

export function methodsOwnedBy<O extends ControlOwner>(owner: O): MethodsOwnedBy<O> {
  return Object.freeze(Object.fromEntries(Object.entries(Control).filter(([, def]) => def.owner === owner))) as MethodsOwnedBy<O>;
}

/** How much longer raypherctl waits than a method's own timeout, in ms, so the supervisor's timeout error arrives first. */
export const CONTROL_HOP_MARGIN_MS = 2_000;
