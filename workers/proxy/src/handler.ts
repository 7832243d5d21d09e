// The proxy's hot path as named steps: identify (once per connection), decide (an allowed route or a refusal),
// then forward it or refuse it. The rate-limit slot of a request is given back in one place, below.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { CallerVerdicts, Known } from './caller-verdicts.js';
import type { ConnectionCap } from './connection-cap.js';
import { pathOnly, whoOf, type Exchange } from './exchange.js';
import { forward, type ForwardDeps } from './forward.js';
import type { RateLimiter } from './rate-limit.js';
import { decideRequest, type Decision, type DecisionDeps } from './request-decision.js';
import { refuse, refuseSocket } from './refuse.js';
import type { RequestFacts } from './refusals.js';
import type { Abort } from './upstream.js';

export interface HandlerDeps extends DecisionDeps, Omit<ForwardDeps, 'inFlight'> {
  verdicts: CallerVerdicts;
  limiter: RateLimiter;
  connections: ConnectionCap;
}

export interface ProxyHandler {
  /** Stamps the accept time (a holder that exec'd after it did not make this connection) and applies the per-uid cap. */
  onConnection(socket: Socket): void;
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** A protocol upgrade (WebSocket, h2c) or CONNECT: never forwarded, answered 405 on the raw socket. */
  onTunnel(req: IncomingMessage, socket: Duplex): void;
  /** Aborts every upstream request in flight (panic): clients get 503, or a cut stream once headers went out. */
  abortInFlight(): void;
}

/** A refused connection flood is audited at most once a second per uid, in ms. */
const CAP_AUDIT_EVERY_MS = 1000;

export function createHandler(deps: HandlerDeps): ProxyHandler {
  const d: HandlerDeps & ForwardDeps = { ...deps, inFlight: new Set<Abort>() };
  /** Connections over their uid's cap: answered once on the raw socket, never served. */
  const refused = new WeakSet<Socket>();
  /** Per uid, when a refused connection was last audited: a flood of them is one row a second (the metric counts all). */
  const capAudited = new Map<number, number>();

  /** Step 2: the decision, then step 3: forward (body, key, upstream) or refuse. */
  const serve = (req: IncomingMessage, res: ServerResponse, t0: number, verdict: Known): void => {
    const requestId = randomUUID();
    const caller = verdict instanceof Error ? null : verdict.caller;
    const facts: RequestFacts = { requestId, method: req.method, path: pathOnly(req.url), who: whoOf(caller), script: caller?.script ?? null };
    const x: Exchange = { req, res, t0, facts, forwarded: false, slotSpent: false, abort: null };
    settle(x, decideRequest(d, req, verdict));
  };

  const settle = (x: Exchange, decision: Decision): void => {
    const slot = decision.slot;
    // A request that got no upstream response gives its slot back (refused after the slot was taken, upstream failed
    // before its head, client gone before it), unless it spent it (exchange.ts slotSpent): reading a whole body is
    // work the limit bounds. A client that goes away also cuts the upstream request.
    if (slot) {
      x.res.once('close', () => {
        if (!x.res.writableFinished) x.abort?.(Object.assign(new Error('client went away'), { code: 'CLIENT_GONE' }));
        if (!x.forwarded && !x.slotSpent) d.limiter.refund(slot.bucket, slot.perMinute);
      });
    }
    if (decision.ok) forward(d, x, decision);
    else refuse(d, x, decision.refusal);
  };

  return {
    onConnection(socket: Socket): void {
      d.verdicts.onAccepted(socket);
      const limit = d.config().max_connections_per_uid;
      const admitted = d.connections.admit(socket, limit);
      if (admitted.ok) return;
      refused.add(socket);
      const now = performance.now();
      const audited = now - (capAudited.get(admitted.uid) ?? -Infinity) >= CAP_AUDIT_EVERY_MS;
      if (audited) capAudited.set(admitted.uid, now);
      const facts: RequestFacts = { requestId: '', method: undefined, path: '', who: { uid: admitted.uid }, script: null };
      refuseSocket(d, socket, { kind: 'too_many_connections', uid: admitted.uid, open: admitted.open, limit }, audited ? facts : null);
    },
    onTunnel(req: IncomingMessage, socket: Duplex): void {
      const what = req.method === 'CONNECT' ? 'CONNECT' : `upgrade to ${String(req.headers.upgrade ?? '').slice(0, 32)}`;
      const facts: RequestFacts = { requestId: randomUUID(), method: req.method, path: pathOnly(req.url), who: {}, script: null };
      refuseSocket(d, socket, { kind: 'tunnel', what }, facts);
    },
    handle(req: IncomingMessage, res: ServerResponse): void {
      if (refused.has(req.socket)) return void req.socket.destroy();
      const t0 = performance.now();
      // Step 1: who is calling (known for this connection, or asked of the identification thread).
      const v = d.verdicts.of(req.socket);
      if (v instanceof Promise) void v.then((known) => serve(req, res, t0, known));
      else serve(req, res, t0, v);
    },
    abortInFlight(): void {
      for (const abort of d.inFlight) abort(Object.assign(new Error('panic engaged'), { code: 'PANIC' }));
      d.inFlight.clear();
    },
  };
}
