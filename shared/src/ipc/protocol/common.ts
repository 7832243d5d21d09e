// Payload shapes every owner uses: worker names and states, the caller a forwarded method carries.
import type { Access, MethodSpecs } from '../define.js';
import { int, literal, nullable, object, type Infer, type Schema } from '../schema.js';

export const WORKER_NAMES = ['vault', 'proxy', 'scanner', 'updater'] as const;
export type WorkerName = (typeof WORKER_NAMES)[number];
export const workerName = literal(...WORKER_NAMES);

export const WORKER_STATES = ['starting', 'ready', 'running', 'stopping', 'stopped', 'backoff', 'failed'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export const callerSchema = nullable(object({ uid: int(), pid: int() }));
export type Caller = Infer<typeof callerSchema>;

type Forwarded<S extends MethodSpecs> = {
  [K in keyof S]: { access: Access; params: Schema<{ caller: Caller; args: Infer<S[K]['params']> }>; result: S[K]['result'] };
};

/** The same methods with the caller's identity attached, for the supervisor → worker hop. */
export function forwardedSpecs<S extends MethodSpecs>(specs: S): Forwarded<S> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = { ...spec, params: object({ caller: callerSchema, args: spec.params }) };
  return out as Forwarded<S>;
}
