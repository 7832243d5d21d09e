// The proxy's hot path: identify (once per connection), decide, rate-limit, inject the key, stream both ways.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '@raypher/shared/config';
import { isRaypherError, type ErrorCode } from '@raypher/shared/errors';
import type { Logger } from '@raypher/shared/logging';
import type { AllowList, Decision } from './allow-list.js';
import type { AuditBatcher } from './audit-batch.js';
import { connectionOf, type Caller } from './identity/index.js';
import type { IdentifierThread } from './identity/thread.js';
import type { PanicSwitch } from './panic.js';
import { route, type Provider } from './providers.js';
import { UsageTail } from './usage.js';
import type { ProxyMetrics } from './metrics.js';
import type { RateLimiter } from './rate-limit.js';
import type { Abort, Upstreams } from './upstream.js';
import type { VaultClient } from './vault-client.js';

/** Client headers that never go upstream: credentials (ours are injected) and hop-by-hop headers. */
const DROP_REQUEST = new Set(['authorization', 'x-api-key', 'x-goog-api-key', 'x-raypher-token', 'host', 'connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'upgrade', 'transfer-encoding', 'expect']);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'trailer', 'upgrade', 'proxy-authenticate']);

export interface HandlerDeps {
  config(): Config['proxy'];
  providers(): readonly Provider[];
  identifier: IdentifierThread;
  allowList: AllowList;
  panic: PanicSwitch;
  limiter: RateLimiter;
  vault: VaultClient;
  upstreams: Upstreams;
  audit: AuditBatcher;
  logger: Logger;
  stats: { served: number; blocked: number; latencyMsTotal: number };
  metrics: ProxyMetrics;
}

export interface ProxyHandler {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Aborts every upstream request in flight (panic): clients get 503, or a cut stream once headers went out. */
  abortInFlight(): void;
}

export function createHandler(d: HandlerDeps): ProxyHandler {
  /** Per connection: the identification in progress, then its result (a sync fast path once known). */
  const identities = new WeakMap<Socket, Promise<Caller[] | Error> | Caller[] | Error>();
  const inFlight = new Set<Abort>();

  // async, so a failure to read the socket's peer (connectionOf) becomes a rejection like any other.
  const identifyOnThread = async (socket: Socket): Promise<Caller[]> => d.identifier.identify(connectionOf(socket));

  const identify = (socket: Socket): Promise<Caller[] | Error> | Caller[] | Error => {
    const known = identities.get(socket);
    if (known) return known;
    const t = performance.now();
    const pending = identifyOnThread(socket).then(
      (callers) => callers,
      (err: unknown) => err as Error,
    ).then((ids) => {
      d.metrics.identify.observe((performance.now() - t) / 1000);
      identities.set(socket, ids);
      return ids;
    });
    identities.set(socket, pending);
    d.metrics.connections.inc();
    socket.once('close', () => d.metrics.connections.dec());
    return pending;
  };

  return {
    handle(req: IncomingMessage, res: ServerResponse): void {
      const t0 = performance.now();
      const ids = identify(req.socket);
      if (ids instanceof Promise) void ids.then((known) => decideAndForward(req, res, t0, known));
      else decideAndForward(req, res, t0, ids);
    },
    abortInFlight(): void {
      for (const abort of inFlight) abort(Object.assign(new Error('panic engaged'), { code: 'PANIC' }));
      inFlight.clear();
    },
  };

  function refuseInPanic(req: IncomingMessage, res: ServerResponse, t0: number, requestId: string, who: Record<string, unknown>): void {
    d.stats.blocked++;
    d.metrics.denied.inc({ reason: 'panic' });
    d.audit.add('proxy.denied', { request_id: requestId, reason: 'panic', method: req.method, path: pathOnly(req.url), ...who });
    sendError(res, 503, 'ERR_PROXY_PANIC', PANIC_MESSAGE, t0);
  }

  function decideAndForward(req: IncomingMessage, res: ServerResponse, t0: number, ids: Caller[] | Error): void {
    const requestId = randomUUID();
    res.setHeader('x-raypher-request-id', requestId);
    const r = route(d.providers(), req.url ?? '/');
    const decision: Decision = ids instanceof Error ? { allowed: false, reason: 'no_process', caller: null } : d.allowList.decide(ids);
    const who = decision.caller ? { pid: decision.caller.pid, uid: decision.caller.uid, exe: decision.caller.exePath, exe_hash: decision.caller.exeHash } : {};
    if (d.panic.engaged) return refuseInPanic(req, res, t0, requestId, who);
    if (!decision.allowed) {
      d.stats.blocked++;
      d.metrics.denied.inc({ reason: decision.reason });
      d.audit.add('proxy.denied', { request_id: requestId, reason: decision.reason, method: req.method, path: r?.auditPath ?? pathOnly(req.url), ...who, script: scriptOf(decision.caller) });
      if (decision.reason === 'exe_changed') d.audit.add('proxy.exe_changed', { request_id: requestId, ...who });
      if (d.config().on_deny === 'drop') {
        req.socket.destroy();
        return;
      }
      const msg = ids instanceof Error ? ids.message : denyMessage(decision.reason);
      return sendError(res, 403, 'ERR_PROXY_CALLER_DENIED', msg, t0, { pid: decision.caller?.pid ?? null, exe: decision.caller?.exePath ?? null });
    }
    if (!r) return sendError(res, 404, 'ERR_PROXY_UNKNOWN_ROUTE', `no provider serves ${pathOnly(req.url)}; use /v1/... (OpenAI-compatible), /anthropic/... or /gemini/...`, t0);
    const limitKey = `${decision.caller.exeHash}:${decision.caller.uid}`;
    const perMinute = decision.entry.rate_limit ?? d.config().rate_limit;
    const slot = d.limiter.take(limitKey, perMinute);
    if (!slot.ok) {
      d.stats.blocked++;
      d.metrics.denied.inc({ reason: 'rate_limited' });
      d.audit.add('proxy.rate_limited', { request_id: requestId, provider: r.provider.name, ...who, limit_per_minute: perMinute });
      res.setHeader('retry-after', String(slot.retryAfterSecs));
      return sendError(res, 429, 'ERR_PROXY_RATE_LIMITED', `more than ${perMinute} requests per minute from this process; retry in ${slot.retryAfterSecs} s`, t0);
    }
    const cachedKey = d.vault.cached(r.provider.name);
    if (cachedKey !== undefined) return forward(cachedKey);
    d.vault.key(r.provider.name).then(
      (key) => forward(key),
      (err: unknown) => {
        d.limiter.refund(limitKey, perMinute);
        const code: ErrorCode = isRaypherError(err) && err.code === 'ERR_VAULT_NOT_FOUND' ? 'ERR_PROXY_NO_KEY' : 'ERR_PROXY_UPSTREAM';
        sendError(res, 503, code, isRaypherError(err) ? err.message : 'vault unavailable', t0);
      },
    );

    function forward(key: string): void {
      if (d.panic.engaged) return refuseInPanic(req, res, t0, requestId, who); // engaged while the key was fetched
      const route_ = r as NonNullable<typeof r>;
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !DROP_REQUEST.has(k)) headers[k] = v;
      headers[route_.provider.authHeader] = route_.provider.authValue(key);
      const upstreamStart = performance.now();
      const overheadBefore = upstreamStart - t0;
      let bytesOut = 0;
      let bytesIn = 0;
      let status = 0;
      const usage = new UsageTail();
      d.metrics.overhead.observe(overheadBefore / 1000);
      const abort = d.upstreams.send(
        { base: route_.provider.base, path: route_.upstreamPath, method: req.method ?? 'GET', headers, body: requestBody(req, (n) => (bytesIn += n)), headersTimeoutMs: d.config().upstream_timeout_ms },
        res,
        {
          onHeaders(code, upHeaders) {
            status = code;
            d.metrics.upstream.observe((performance.now() - upstreamStart) / 1000);
            const out: Record<string, string | string[]> = {};
            for (const [k, v] of Object.entries(upHeaders)) if (v !== undefined && !DROP_RESPONSE.has(k)) out[k] = v;
            out['x-raypher-request-id'] = requestId;
            out['x-raypher-overhead-ms'] = overheadBefore.toFixed(3); // time inside Raypher before the upstream request
            res.writeHead(code, out);
          },
          onChunk(chunk) {
            bytesOut += chunk.length;
            usage.push(chunk);
          },
          onEnd() {
            inFlight.delete(abort);
            const latency = performance.now() - t0;
            d.stats.served++;
            d.metrics.requests.inc({ provider: route_.provider.name, status: String(status) });
            d.stats.latencyMsTotal += latency;
            d.audit.add('proxy.request', { request_id: requestId, provider: route_.provider.name, method: req.method, path: route_.auditPath, status, latency_ms: round(latency), overhead_ms: round(overheadBefore), bytes_in: bytesIn, bytes_out: bytesOut, usage: usage.usage(), ...who, script: scriptOf(decision.caller as Caller) });
          },
          onError(err, timeout) {
            inFlight.delete(abort);
            if (err.code === 'CLIENT_GONE') return; // nobody to answer; the 'close' handler refunded the slot
            if (res.headersSent) return void res.destroy(err);
            d.limiter.refund(limitKey, perMinute);
            if (err.code === 'PANIC') return refuseInPanic(req, res, t0, requestId, who);
            sendError(res, timeout ? 504 : 502, timeout ? 'ERR_PROXY_UPSTREAM_TIMEOUT' : 'ERR_PROXY_UPSTREAM', `${route_.provider.name} upstream ${timeout ? 'did not answer in time' : `failed: ${err.code ?? err.message}`}`, t0);
          },
        },
      );
      inFlight.add(abort);
      // A client that goes away aborts the upstream request and frees its rate-limit slot.
      res.on('close', () => {
        if (!res.writableFinished) {
          if (!res.headersSent) d.limiter.refund(limitKey, perMinute);
          abort(Object.assign(new Error('client went away'), { code: 'CLIENT_GONE' }));
        }
      });
    }
  }
}

/**
 * The client's body for undici, or null when it announced none. With a content-length (what SDKs send) the
 * request streams as is and undici enforces that length; a chunked body is counted on the way through an
 * async iterable, since a 'data' listener would drain it before undici reads.
 */
function requestBody(req: IncomingMessage, onBytes: (n: number) => void): IncomingMessage | AsyncIterable<Buffer> | null {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined) return counted(req, onBytes);
  if (length === undefined || length === '0') return null;
  onBytes(Number(length));
  return req;
}

async function* counted(body: IncomingMessage, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    onBytes((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}

const PANIC_MESSAGE = "panic mode is engaged: Raypher refuses every request; an operator releases it with 'raypherctl panic release'";

function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string, t0: number, extra: Record<string, unknown> = {}): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify({ error: { code, message, ...extra } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-raypher-overhead-ms': (performance.now() - t0).toFixed(3) });
  res.end(body);
}

function denyMessage(reason: string): string {
  switch (reason) {
    case 'exe_changed':
      return 'this executable changed on disk since it was allow-listed; re-add it with raypherctl allow --exe-path';
    case 'script_not_allowed':
      return 'this interpreter is allow-listed only for other scripts; add this one with raypherctl allow --exe-path ... --script ...';
    case 'inline_code':
      return 'inline code (-c/-e/-m/stdin) is not allowed for this interpreter';
    case 'no_process':
      return 'the calling process could not be identified';
    default:
      return 'this process is not on the allow list; add it with raypherctl allow --exe-path ...';
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const pathOnly = (url: string | undefined) => (url ?? '/').split('?')[0];
const scriptOf = (c: Caller | null) => (c?.code.kind === 'script' ? c.code.path : c?.code.kind === 'inline' ? `(inline ${c.code.how})` : null);
