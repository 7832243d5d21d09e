// The worker end of forwarded control methods: a worker serves every method it owns, and the compiler checks the table.
import { RaypherError } from '../errors/index.js';
import type { ControlMethodDef, MethodDef } from './define.js';
import { forwarded, methodsOwnedBy, type Forwarded, type MethodsOwnedBy, type WorkerName } from './protocol/index.js';

/** Where a worker registers request handlers (its WorkerContext). */
export interface HandlerHost {
  handle<P, R>(def: MethodDef<P, R>, fn: (params: P) => Promise<R> | R): void;
}

type OwnedHandler<D> = D extends ControlMethodDef<infer P, infer R> ? (request: Forwarded<P>) => Promise<R> | R : never;

/** One handler per control method the worker owns: a missing one, or one it does not own, is a compile error. */
export type OwnedHandlers<O extends WorkerName> = { [K in keyof MethodsOwnedBy<O>]: OwnedHandler<MethodsOwnedBy<O>[K]> };

export function serveOwnedMethods<O extends WorkerName>(host: HandlerHost, owner: O, handlers: OwnedHandlers<O>): void {
  const table = handlers as Readonly<Record<string, (request: Forwarded<unknown>) => unknown>>;
  for (const [name, def] of Object.entries(methodsOwnedBy(owner)) as Array<[string, ControlMethodDef<unknown, unknown, O>]>) {
    const fn = table[name];
    if (!fn) throw new RaypherError('ERR_INTERNAL_UNEXPECTED', `the ${owner} worker has no handler for ${name}; add it to its serveOwnedMethods table`);
    host.handle(forwarded(def), fn);
  }
}
