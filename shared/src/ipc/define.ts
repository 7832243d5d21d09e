// How methods and events are declared: a name, an access level and schemas for both directions.
import type { Infer, Schema } from './schema.js';

export type Access = 'read' | 'admin';

export interface MethodDef<P, R> {
  readonly name: string;
  readonly access: Access;
  readonly params: Schema<P>;
  readonly result: Schema<R>;
}

export interface EventDef<P> {
  readonly name: string;
  readonly payload: Schema<P>;
}

export type MethodSpecs = Record<string, { access: Access; params: Schema<unknown>; result: Schema<unknown> }>;
type Methods<S extends MethodSpecs> = { [K in keyof S]: MethodDef<Infer<S[K]['params']>, Infer<S[K]['result']>> };

export function defineMethods<S extends MethodSpecs>(specs: S): Methods<S> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = Object.freeze({ name, ...spec });
  return Object.freeze(out) as Methods<S>;
}

export function defineEvents<S extends Record<string, Schema<unknown>>>(specs: S): { [K in keyof S]: EventDef<Infer<S[K]>> } {
  const out: Record<string, unknown> = {};
  for (const [name, payload] of Object.entries(specs)) out[name] = Object.freeze({ name, payload });
  return Object.freeze(out) as { [K in keyof S]: EventDef<Infer<S[K]>> };
}

