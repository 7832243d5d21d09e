// Payload shapes every owner uses: worker names and states, control-method owners, the caller a forwarded method carries.
import type { ControlMethodDef } from '../define.js';
import { int, literal, nullable, object, type Infer, type Schema } from '../schema.js';

export const WORKER_NAMES = ['vault', 'proxy', 'scanner', 'updater'] as const;
export type WorkerName = (typeof WORKER_NAMES)[number];
export const workerName = literal(...WORKER_NAMES);

export const WORKER_STATES = ['starting', 'ready', 'running', 'stopping', 'stopped', 'backoff', 'failed'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/** Who answers a control method: the supervisor itself, or the worker it is forwarded to. */
export type ControlOwner = 'supervisor' | WorkerName;

/** The timeout of a control method that does a few database reads and writes, in ms (each may wait 5 s for SQLite's lock). */
export const QUICK_CONTROL_MS = 15_000;

export const callerSchema = nullable(object({ uid: int(), pid: int() }));
export type Caller = Infer<typeof callerSchema>;

/** What a worker-owned method carries on the supervisor → worker hop: the operator's arguments and who sent them. */
export interface Forwarded<P> {
  caller: Caller;
  args: P;
}

/** The same method on the supervisor → worker hop, with the caller attached; both ends derive it from the one definition. */
export function forwarded<P, R, O extends WorkerName>(def: ControlMethodDef<P, R, O>): ControlMethodDef<Forwarded<P>, R, O> {
  // The cast only restates object()'s type: for a generic P it cannot tell whether args may be undefined.
  const params = object({ caller: callerSchema, args: def.params }) as Schema<Forwarded<P>>;
  return Object.freeze({ ...def, params });
}
