// How methods and events are declared: a name, an access level and schemas for both directions; a control
// method also names its owner (where the supervisor sends it) and its timeout (how long every hop waits).
import type { ControlOwner } from './protocol/common.js';
import type { Infer, Schema } from './schema.js';

export type Access = 'read' | 'admin';

export interface MethodDef<P, R> {
  readonly name: string;
  readonly access: Access;
  readonly params: Schema<P>;
  readonly result: Schema<R>;
}

/** A method of the control socket: answered by the supervisor itself or by the worker that owns it. */
export interface ControlMethodDef<P, R, O extends string = string> extends MethodDef<P, R> {
  readonly owner: O;
  /** How long the method may take where it runs, in ms; every hop derives its wait from this. */
  readonly timeoutMs: number;
}

export interface EventDef<P> {
  readonly name: string;
  readonly payload: Schema<P>;
}

type MethodSpecs = Record<string, { access: Access; params: Schema<unknown>; result: Schema<unknown> }>;
type Methods<S extends MethodSpecs> = { [K in keyof S]: MethodDef<Infer<S[K]['params']>, Infer<S[K]['result']>> };

type ControlMethodSpecs = Record<string, MethodSpecs[string] & { timeoutMs: number }>;
type ControlMethodTable<O extends string, S extends ControlMethodSpecs> = {
  [K in keyof S]: ControlMethodDef<Infer<S[K]['params']>, Infer<S[K]['result']>, O>;
};

export function defineMethods<S extends MethodSpecs>(specs: S): Methods<S> {
  return freezeEach(specs, {}) as Methods<S>;
}

/** The one way to declare a control method: in its owner's protocol file, with its timeout. */
export function defineControlMethods<const O extends ControlOwner, S extends ControlMethodSpecs>(owner: O, specs: S): ControlMethodTable<O, S> {
  return freezeEach(specs, { owner }) as ControlMethodTable<O, S>;
}

export function defineEvents<S extends Record<string, Schema<unknown>>>(specs: S): { [K in keyof S]: EventDef<Infer<S[K]>> } {
  const out: Record<string, unknown> = {};
  for (const [name, payload] of Object.entries(specs)) out[name] = Object.freeze({ name, payload });
  return Object.freeze(out) as { [K in keyof S]: EventDef<Infer<S[K]>> };
}

function freezeEach(specs: Record<string, object>, extra: object): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = Object.freeze({ name, ...extra, ...spec });
  return Object.freeze(out);
}
