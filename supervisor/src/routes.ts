// The control socket's route table: a handler per supervisor-owned method, and every worker-owned method
// forwarded to its owner from its definition (access levels, owners and timeouts live in the protocol).
import { RaypherError } from '@raypher/shared/errors';
import {
  forwarded,
  PROTOCOL_VERSION,
  WorkerControl,
  type CallMeta,
  type Caller,
  type ControlMethodDef,
  type MethodDef,
  type MethodsOwnedBy,
  type StatusResult,
  type WorkerName,
} from '@raypher/shared/ipc';
import type { EventName } from '@raypher/shared/db';
import type { ControlRoutes, HandlerOf } from './control-server.js';
import type { BlueGreen } from './slots/blue-green.js';
import { readLogLines } from './logs-reader.js';
import type { WorkerManager } from './worker-manager.js';

export interface SupervisorApi {
  version: string;
  logDir: string;
  workers: Pick<WorkerManager, 'get'>;
  status(): Promise<StatusResult>;
  health(): Promise<{ healthy: boolean; body: Record<string, unknown> }>;
  reload(): Promise<{ applied: string[]; requiresRestart: string[] }>;
  slots: Pick<BlueGreen, 'apply' | 'rollback' | 'table'>;
}

type SupervisorMethods = MethodsOwnedBy<'supervisor'>;
/** The supervisor's own methods: the compiler refuses a supervisor-owned method without a handler here. */
export type SupervisorRoutes = { [K in keyof SupervisorMethods]: HandlerOf<SupervisorMethods[K]> };

/** The worker processes by name, as forwarding needs them (the WorkerManager). */
export interface WorkerLookup {
  get(name: WorkerName): { call<P, R>(def: MethodDef<P, R>, params: P, timeoutMs: number): Promise<R> };
}

export function buildRoutes(api: SupervisorApi): ControlRoutes {
  return { ...supervisorRoutes(api), ...forwardedRoutes(WorkerControl, api.workers) };
}

function supervisorRoutes(api: SupervisorApi): SupervisorRoutes {
  return {
    hello: ({ protocolVersion }) => {
      if (protocolVersion !== PROTOCOL_VERSION) {
        throw new RaypherError('ERR_IPC_VERSION_MISMATCH', `client speaks protocol ${protocolVersion}, daemon ${PROTOCOL_VERSION}; use the raypherctl that ships with daemon ${api.version}`);
      }
      return { protocolVersion: PROTOCOL_VERSION, daemonVersion: api.version };
    },
    status: () => api.status(),
    health: async () => (await api.health()).body,
    'logs.read': ({ process, lines, cursor }) => readLogLines(api.logDir, process, lines, cursor),
    'worker.restart': async ({ worker }) => {
      await api.workers.get(worker).restart('operator restart');
      return {};
    },
    'worker.stop': async ({ worker }) => {
      await api.workers.get(worker).stop('operator stop');
      return {};
    },
    'worker.start': ({ worker }) => {
      api.workers.get(worker).start();
      return {};
    },
    'config.reload': () => api.reload(),
    // The swap audits update.swap_started itself, with who asked: one row per swap.
    'update.apply': ({ version }, { caller }) => api.slots.apply(version, caller ? `uid ${caller.uid} pid ${caller.pid}` : 'unknown'),
    'update.rollback': (_args, { caller }) => api.slots.rollback(`operator rollback by ${caller ? `uid ${caller.uid} pid ${caller.pid}` : 'unknown'}`, 'operator'),
    'update.slots': () => api.slots.table(),
  };
}

type WorkerMethods = Readonly<Record<string, ControlMethodDef<unknown, unknown, WorkerName>>>;

/** A route for each worker-owned method, made from its definition alone: no method is listed here by hand. */
export function forwardedRoutes<T extends WorkerMethods>(defs: T, workers: WorkerLookup): { [K in keyof T]: HandlerOf<T[K]> } {
  const routes = Object.entries(defs).map(([name, def]) => [name, async (args: unknown, meta: CallMeta) => callOwner(workers, def, args, meta.caller)]);
  return Object.fromEntries(routes) as { [K in keyof T]: HandlerOf<T[K]> };
}

/** Asks the owning worker, with the caller attached; waits the method's own timeout unless told to give up sooner. */
export function callOwner<P, R>(workers: WorkerLookup, def: ControlMethodDef<P, R, WorkerName>, args: P, caller: Caller, timeoutMs = def.timeoutMs): Promise<R> {
  return workers.get(def.owner).call(forwarded(def), { caller, args }, timeoutMs);
}
