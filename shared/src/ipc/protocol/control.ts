// raypherctl <-> supervisor (the control socket): the supervisor's own methods, then every worker's operator methods.
import { defineMethods } from '../define.js';
import { array, empty, int, literal, nullable, num, object, optional, record, str, unknownValue, type Infer } from '../schema.js';
import { wireErrorSchema } from './envelopes.js';
import { WORKER_STATES, workerName } from './common.js';
import { PROXY_CONTROL_SPECS, identityPosture, panicState } from './proxy.js';
import { VAULT_CONTROL_SPECS } from './vault.js';

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
