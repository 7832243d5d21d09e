// One end of an IPC link: typed requests with ids and timeouts, typed events, validated input.
import { fromWire, RaypherError, toRaypherError, type WireError } from '../errors/index.js';
import { SchemaError } from './schema.js';
import {
  eventEnvelope,
  IPC_LIMITS,
  IPC_TIMEOUTS,
  requestEnvelope,
  responseEnvelope,
  type Envelope,
  type EventDef,
  type MethodDef,
} from './protocol/index.js';
import type { Transport } from './transport.js';

/** Who sent a request, when the transport can tell (control socket: SO_PEERCRED). */
export interface CallMeta {
  caller: { uid: number; pid: number } | null;
}

export type Handler<P, R> = (params: P, meta: CallMeta) => Promise<R> | R;

/** Decides whether a request may run; throws a RaypherError (e.g. ERR_CONTROL_DENIED) to refuse it. */
export type Guard = (method: MethodDef<unknown, unknown>) => void;

interface Pending {
  method: MethodDef<unknown, unknown>;
  resolve(value: unknown): void;
  reject(err: RaypherError): void;
  timer: NodeJS.Timeout;
}

export interface PeerOptions {
  /** Used in error messages: "supervisor", "worker vault", "control client". */
  label: string;
  guard?: Guard;
  /** Called for every problem the peer absorbed (bad frames, bad messages); never throws back. */
  onProtocolError?(err: RaypherError): void;
  /** Passed to every handler. */
  meta?: CallMeta;
}

/** The id a response uses when it answers a frame that could not be read as a request. */
const CONNECTION_LEVEL_ID = 0;

export class Peer {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, { def: MethodDef<unknown, unknown>; fn: Handler<unknown, unknown> }>();
  private readonly listeners = new Map<string, { def: EventDef<unknown>; fns: Array<(p: unknown, handle?: unknown) => void> }>();
  private readonly closeListeners: Array<() => void> = [];
  private isClosed = false;
  /** The connection-level error the other end sent last, if any: why it is about to close the link. */
  private closeReason: RaypherError | null = null;

  constructor(private readonly transport: Transport, private readonly options: PeerOptions) {
    transport.start({
      message: (value, handle) => this.onMessage(value, handle),
      badFrame: (err) => this.replyConnectionError(err),
      close: () => this.handleClose(),
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  handle<P, R>(def: MethodDef<P, R>, fn: Handler<P, R>): this {
    this.handlers.set(def.name, { def: def as MethodDef<unknown, unknown>, fn: fn as Handler<unknown, unknown> });
    return this;
  }

  /** The handle argument is set when the event carried an OS handle (child IPC channel only). */
  on<P>(def: EventDef<P>, fn: (payload: P, handle?: unknown) => void): this {
    const entry = this.listeners.get(def.name) ?? { def: def as EventDef<unknown>, fns: [] };
    entry.fns.push(fn as (p: unknown, handle?: unknown) => void);
    this.listeners.set(def.name, entry);
    return this;
  }

  onClose(fn: () => void): this {
    if (this.isClosed) queueMicrotask(fn);
    else this.closeListeners.push(fn);
    return this;
  }

  call<P, R>(def: MethodDef<P, R>, params: P, opts: { timeoutMs?: number } = {}): Promise<R> {
    if (this.isClosed) return Promise.reject(new RaypherError('ERR_IPC_DISCONNECTED', `${this.options.label}: cannot call ${def.name}, the link is closed`));
    if (this.pending.size >= IPC_LIMITS.maxPendingRequests) {
      return Promise.reject(new RaypherError('ERR_IPC_QUEUE_FULL', `${this.options.label}: ${this.pending.size} requests already pending`));
    }
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? IPC_TIMEOUTS.defaultRequestMs;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RaypherError('ERR_IPC_TIMEOUT', `${this.options.label}: ${def.name} got no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { method: def as MethodDef<unknown, unknown>, resolve: resolve as (v: unknown) => void, reject, timer });
      this.transport.send({ t: 'req', id, m: def.name, p: params }).catch((err: unknown) => this.settle(id, toRaypherError(err, def.name)));
    });
  }

  emit<P>(def: EventDef<P>, payload: P): void {
    void this.emitFlushed(def, payload);
  }

  /** Resolves once the event is handed to the OS (or the link is gone), e.g. before a process exits. */
  emitFlushed<P>(def: EventDef<P>, payload: P): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return this.transport.send({ t: 'evt', n: def.name, p: payload }).catch(() => undefined);
  }

  /** Sends an event together with an OS handle (a listening socket); only the child channel supports it. */
  emitWithHandle<P>(def: EventDef<P>, payload: P, handle: unknown): Promise<void> {
    if (!this.transport.sendHandle) return Promise.reject(new RaypherError('ERR_NATIVE_UNSUPPORTED', 'this transport cannot carry OS handles'));
    return this.transport.sendHandle({ t: 'evt', n: def.name, p: payload }, handle);
  }

  close(): void {
    this.transport.close();
  }

  private onMessage(value: unknown, handle?: unknown): void {
    const kind = typeof value === 'object' && value !== null ? (value as { t?: unknown }).t : undefined;
    try {
      if (kind === 'req') void this.onRequest(requestEnvelope.parse(value));
      else if (kind === 'res') this.onResponse(responseEnvelope.parse(value));
      else if (kind === 'evt') this.onEvent(eventEnvelope.parse(value), handle);
      else throw new SchemaError('t', 'one of req, res, evt');
    } catch (err) {
      const id = kind === 'req' ? readId(value) : CONNECTION_LEVEL_ID;
      const detail = err instanceof SchemaError ? err.message : String(err);
      this.reply(id, { code: 'ERR_IPC_BAD_FRAME', message: `malformed message: ${detail}` });
    }
  }

  private async onRequest(req: { id: number; m: string; p?: unknown }): Promise<void> {
    const entry = this.handlers.get(req.m);
    if (!entry) {
      this.reply(req.id, { code: 'ERR_IPC_UNKNOWN_METHOD', message: `unknown method '${req.m.slice(0, 128)}'` });
      return;
    }
    try {
      this.options.guard?.(entry.def);
      let params: unknown;
      try {
        params = entry.def.params.parse(req.p);
      } catch (err) {
        throw new RaypherError('ERR_IPC_BAD_PARAMS', `${req.m}: ${(err as Error).message}`);
      }
      const result = await entry.fn(params, this.options.meta ?? { caller: null });
      if (!this.isClosed) await this.transport.send({ t: 'res', id: req.id, ok: true, r: result });
    } catch (err) {
      this.reply(req.id, toRaypherError(err, req.m).toWire());
    }
  }

  private onResponse(res: { id: number; ok: boolean; r?: unknown; e?: { code: string; message: string } }): void {
    if (res.id === CONNECTION_LEVEL_ID) {
      // A server that closes the link says why first (a deadline, a cap): pending calls fail with that reason.
      this.closeReason = fromWire(res.e ?? { code: 'ERR_INTERNAL_UNEXPECTED', message: 'connection-level error' });
      this.options.onProtocolError?.(this.closeReason);
      return;
    }
    const pending = this.pending.get(res.id);
    if (!pending) return;
    if (!res.ok) {
      this.settle(res.id, fromWire(res.e ?? { code: 'ERR_INTERNAL_UNEXPECTED', message: 'error reply without error' }));
      return;
    }
    try {
      const value = pending.method.result.parse(res.r);
      this.settle(res.id, undefined, value);
    } catch (err) {
      this.settle(res.id, new RaypherError('ERR_IPC_BAD_RESULT', `${pending.method.name}: ${(err as Error).message}`));
    }
  }

  private onEvent(evt: { n: string; p?: unknown }, handle?: unknown): void {
    const entry = this.listeners.get(evt.n);
    if (!entry) return;
    let payload: unknown;
    try {
      payload = entry.def.payload.parse(evt.p);
    } catch (err) {
      this.options.onProtocolError?.(new RaypherError('ERR_IPC_BAD_FRAME', `event ${evt.n}: ${(err as Error).message}`));
      return;
    }
    for (const fn of entry.fns) {
      try {
        fn(payload, handle);
      } catch (err) {
        this.options.onProtocolError?.(toRaypherError(err, `event ${evt.n} listener`));
      }
    }
  }

  private settle(id: number, err: RaypherError | undefined, value?: unknown): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (err) pending.reject(err);
    else pending.resolve(value);
  }

  private reply(id: number, error: WireError): void {
    if (id === CONNECTION_LEVEL_ID) this.options.onProtocolError?.(fromWire(error));
    if (this.isClosed) return;
    this.transport.send({ t: 'res', id, ok: false, e: error }).catch(() => undefined);
  }

  private replyConnectionError(err: RaypherError): void {
    this.reply(CONNECTION_LEVEL_ID, err.toWire());
  }

  private handleClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const id of [...this.pending.keys()]) {
      this.settle(id, this.closeReason ?? new RaypherError('ERR_IPC_DISCONNECTED', `${this.options.label}: the peer disconnected before replying`));
    }
    for (const fn of this.closeListeners.splice(0)) fn();
  }
}

function readId(value: unknown): number {
  const id = (value as { id?: unknown }).id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : CONNECTION_LEVEL_ID;
}

export type { Envelope };
