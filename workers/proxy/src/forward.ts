// The forward step of an allowed request: the body read when its model or usage needs it, the final provider's key,
// the key use journaled before the key leaves, the request sent upstream, the response written through the
// scrubber, and its completion journaled before the client's last byte.
import { isRaypherError } from '@raypher/shared/errors';
import type { Logger } from '@raypher/shared/logging';
import { InjectedUsageStripper } from './accounting/include-usage.js';
import { UsageMeter } from './accounting/meter.js';
import type { UsageBook } from './accounting/usage-book.js';
import { prepareBody, type BodyBudget, type PreparedBody } from './accounting/request-body.js';
import type { Exchange } from './exchange.js';
import { encodingProblem, KeyEchoGuard } from './key-echo.js';
import type { ModelRoutes } from './model-routes.js';
import type { PanicSwitch } from './panic.js';
import type { Provider, Route } from './providers.js';
import type { Decision } from './request-decision.js';
import { refuse, type RefuseDeps } from './refuse.js';
import type { Refusal } from './refusals.js';
import { ResponseStream } from './response-writer.js';
import { requestBody, upstreamHeaders } from './upstream-request.js';
import type { Abort, Upstreams } from './upstream.js';
import type { VaultClient } from './vault-client.js';

export interface ForwardDeps extends RefuseDeps {
  panic: PanicSwitch;
  upstreams: Upstreams;
  logger: Logger;
  stats: { served: number; blocked: number; latencyMsTotal: number };
  /** Upstream requests in flight, cut when panic engages. */
  inFlight: Set<Abort>;
  usage: UsageBook;
  vault: VaultClient;
  providers(): readonly Provider[];
  models(): ModelRoutes;
  /** Bytes of request bodies the proxy may hold at once while it reads them whole. */
  bodies: BodyBudget;
}

type Allowed = Extract<Decision, { ok: true }>;

export function forward(d: ForwardDeps, x: Exchange, a: Allowed): void {
  const prepared = prepareBody(x.req, a.route, d.config().max_body_bytes, d.models(), d.bodies);
  if (prepared === null) return withKey(d, x, a, a.route, null);
  if (!(prepared instanceof Promise)) return refuse(d, x, prepared);
  // A body whose model may be routed, or a chat stream whose usage Raypher asks for: read first (a client that goes
  // away gets its slot back).
  prepared.then(
    (p) => {
      x.slotSpent = true;
      if ('kind' in p) refuse(d, x, p);
      else withKey(d, x, a, p.route, p);
    },
    () => undefined,
  );
}

/** The key of the provider the request goes to: from the cache on the hot path, else asked of the vault. */
function withKey(d: ForwardDeps, x: Exchange, a: Allowed, route: Route, prepared: PreparedBody | null): void {
  // The routes were reloaded while the body was read: the key is taken by name, so the provider must still be this
  // one. (Without a body step the route was decided in this same turn.)
  if (prepared !== null && !d.providers().includes(route.provider)) return refuse(d, x, { kind: 'reloaded', provider: route.provider.name });
  const cached = d.vault.cached(route.provider.name);
  if (cached !== undefined) return send(d, x, a, route, cached, prepared);
  d.vault.key(route.provider.name).then(
    (key) => send(d, x, a, route, key, prepared),
    (err: unknown) => refuse(d, x, vaultRefusal(err)),
  );
}

function vaultRefusal(err: unknown): Refusal {
  if (!isRaypherError(err)) return { kind: 'vault_failed', detail: 'the vault did not give the key; check raypherctl status', code: 'ERR_VAULT_UNREACHABLE' };
  return err.code === 'ERR_VAULT_NOT_FOUND' ? { kind: 'no_key', detail: err.message } : { kind: 'vault_failed', detail: err.message, code: err.code };
}

function send(d: ForwardDeps, x: Exchange, a: Allowed, route: Route, key: string, prepared: PreparedBody | null): void {
  if (d.panic.engaged) return refuse(d, x, { kind: 'panic' }); // engaged while the body or the key was read
  if (x.req.socket.destroyed) return; // the client left while its body or key was read: nothing is sent
  const { req, facts } = x;
  const { provider, auditPath } = route;
  const config = d.config();
  const upstreamStart = performance.now();
  const overheadMs = upstreamStart - x.t0;
  const guard = new KeyEchoGuard(key);
  const injected = prepared?.injected === true;
  const out = new ResponseStream(x.res, guard, facts.requestId, overheadMs, injected ? new InjectedUsageStripper() : null);
  let meter = new UsageMeter(undefined, injected);
  const identity = a.agent.name ?? `entry-${a.agent.id}`;
  let bytesOut = 0;
  let bytesIn = 0;
  let status = 0;
  d.metrics.overhead.observe(overheadMs / 1000);
  try {
    d.audit.begin(facts.requestId, { request_id: facts.requestId, provider: provider.name, method: req.method, path: auditPath, ...facts.who, script: facts.script, entry_id: a.agent.id, agent: a.agent.name });
  } catch (err) {
    return refuse(d, x, { kind: 'journal_failed', detail: (err as Error).message });
  }
  const sent = (piece: Buffer) => {
    bytesOut += piece.length;
  };
  /** The exchange is over: the echo (if any) reported and the completion added to the key use's record (then `then`). */
  const complete = (result: { status: number; error?: string }, bodyComplete: boolean, then?: () => void) => {
    d.inFlight.delete(abort);
    reportEcho(d, guard, x, provider.name, auditPath);
    const latency = performance.now() - x.t0;
    const usage = meter.result(bodyComplete);
    const cost = d.usage.record(identity, provider.name, result.status, usage);
    d.audit.complete(facts.requestId, { ...result, latency_ms: round(latency), overhead_ms: round(overheadMs), bytes_in: bytesIn, bytes_out: bytesOut, ...usage, cost_micro_usd: cost }, then);
    return latency;
  };
  const headers = upstreamHeaders(req, route, key, facts.requestId);
  let body: ReturnType<typeof requestBody> | Buffer;
  if (prepared) {
    body = prepared.body;
    bytesIn = prepared.clientBytes;
    headers['content-length'] = String(prepared.body.length);
  } else body = requestBody(req, config.max_body_bytes, (n) => (bytesIn += n));
  const abort = d.upstreams.send({ base: provider.base, path: route.upstreamPath, method: req.method ?? 'GET', headers, body, headersTimeoutMs: config.upstream_timeout_ms }, {
    onHeaders(code, headers) {
      d.metrics.upstream.observe((performance.now() - upstreamStart) / 1000);
      const encoded = encodingProblem(headers);
      if (encoded) return encoded;
      status = code;
      meter = new UsageMeter(firstValue(headers['content-type']), injected);
      out.head(code, headers);
      x.forwarded = true;
      return null;
    },
    onData(chunk, flow) {
      meter.push(chunk); // the upstream's bytes: the meter sees the usage chunk the client's stream loses
      const piece = out.chunk(chunk, flow);
      if (piece.length > 0) sent(piece);
    },
    onEnd() {
      out.end((rest, lastByte) => {
        if (rest.length > 0) sent(rest);
        const latency = complete({ status }, true, lastByte);
        d.stats.served++;
        d.stats.latencyMsTotal += latency;
      });
    },
    onError(err, timeout) {
      complete({ status: x.forwarded ? status : 0, error: String(err.code ?? err.message) }, false);
      if (err.code === 'CLIENT_GONE') return; // nobody to answer
      if (x.forwarded) return out.cut(err);
      refuse(d, x, upstreamRefusal(err, timeout, provider.name, config.max_body_bytes));
    },
  });
  x.abort = abort;
  d.inFlight.add(abort);
}

function upstreamRefusal(err: Error & { code?: string }, timeout: boolean, provider: string, maxBody: number): Refusal {
  if (err.code === 'PANIC') return { kind: 'panic' };
  // A chunked body went over the limit: its upstream request was cut mid-body, so the provider got no complete request.
  if (err.code === 'ERR_PROXY_BODY_TOO_LARGE') return { kind: 'body_too_large', max: maxBody };
  if (timeout) return { kind: 'upstream_timeout', provider };
  return { kind: 'upstream_failed', provider, cause: err.code ?? err.message };
}

/** The upstream echoed the key: audited with where it was (never the key); the client got the marker instead. */
function reportEcho(d: ForwardDeps, guard: KeyEchoGuard, x: Exchange, provider: string, path: string): void {
  const where = guard.where();
  if (where.length === 0) return;
  d.metrics.keyEchoed.inc();
  d.audit.add('proxy.key_echoed', { request_id: x.facts.requestId, provider, where, path, ...x.facts.who });
  d.logger.warn('the upstream echoed the injected key; it was masked before reaching the client', { request_id: x.facts.requestId, provider, where });
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const firstValue = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
