// The proxy's hot path: identify (once per connection), decide, rate-limit, inject the key, stream both ways.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '@raypher/shared/config';
import { isRaypherError, type ErrorCode } from '@raypher/shared/errors';
import type { Logger } from '@raypher/shared/logging';
import type { AllowEntry, AllowList } from './allow-list.js';
import type { AuditBatcher } from './audit-batch.js';
import type { CallerSummary, DenyReason, Verdict } from './identity/decide.js';
import { connectionMadeBy, connectionOf } from './identity/index.js';
import { IdentityMethods } from './identity/protocol.js';
import type { IdentityThread } from './identity/thread.js';
import type { ConnectionCap } from './connection-cap.js';
import { encodingProblem, KeyEchoGuard } from './key-echo.js';
import type { PanicSwitch } from './panic.js';
import { route, type Provider, type Route } from './providers.js';
import { replyRaw } from './raw-reply.js';
import { ALLOW_HEADER, badPathRefusal, bodyTooLarge, checkRequest, limitedBody, type Refusal } from './request-limits.js';
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
  identity: IdentityThread;
  allowList: AllowList;
  /** A pinned code tree of this entry changed: mark it (denied until refreshed). */
  onCodeChanged(entryId: number): void;
  panic: PanicSwitch;
  limiter: RateLimiter;
  vault: VaultClient;
  upstreams: Upstreams;
  audit: AuditBatcher;
  logger: Logger;
  stats: { served: number; blocked: number; latencyMsTotal: number };
  metrics: ProxyMetrics;
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

/** The decision for one request: the verdict, with the entry it matched when allowed. */
type Decision = { allowed: true; entry: AllowEntry; caller: CallerSummary } | { allowed: false; reason: DenyReason; detail: string | null; entryId: number | null; caller: CallerSummary | null };

export function createHandler(d: HandlerDeps): ProxyHandler {
  /** Per connection: when it was accepted, and its last verdict (re-checked once older than identity_max_age_ms). */
  const accepted = new WeakMap<Socket, bigint>();
  const verdicts = new WeakMap<Socket, { at: number; verdict: Promise<Verdict | Error> | Verdict | Error }>();
  const inFlight = new Set<Abort>();
  /** Connections over their uid's cap: answered once on the raw socket, never served. */
  const refused = new WeakSet<Socket>();
  /** Per uid, when a refused connection was last audited: a flood of them is one row a second (the metric counts all). */
  const capAudited = new Map<number, number>();

  // async, so a failure to read the socket's peer (connectionOf) becomes a rejection like any other.
  const identifyOnThread = async (socket: Socket): Promise<Verdict> =>
    d.identity.call(IdentityMethods.identify, { connection: connectionOf(socket), connectedNs: connectionMadeBy(socket, accepted.get(socket) ?? process.hrtime.bigint()) });

  const identify = (socket: Socket): Promise<Verdict | Error> | Verdict | Error => {
    const known = verdicts.get(socket);
    if (known && (known.verdict instanceof Promise || performance.now() - known.at <= d.config().identity_max_age_ms)) return known.verdict;
    const t = performance.now();
    const pending = identifyOnThread(socket).then(
      (v) => v,
      (err: unknown) => err as Error,
    ).then((v) => {
      d.metrics.identify.observe((performance.now() - t) / 1000);
      verdicts.set(socket, { at: performance.now(), verdict: v });
      return v;
    });
    verdicts.set(socket, { at: t, verdict: pending });
    if (!known) {
      d.metrics.connections.inc();
      socket.once('close', () => d.metrics.connections.dec());
    }
    return pending;
  };

  const toDecision = (v: Verdict | Error): Decision => {
    if (v instanceof Error) return { allowed: false, reason: 'no_process', detail: v.message, entryId: null, caller: null };
    if (!v.allowed) return v;
    const entry = d.allowList.get(v.entryId);
    return entry ? { allowed: true, entry, caller: v.caller } : { allowed: false, reason: 'not_listed', detail: 'the entry was removed', entryId: null, caller: v.caller };
  };

  return {
    onConnection(socket: Socket): void {
      accepted.set(socket, process.hrtime.bigint());
      const max = d.config().max_connections_per_uid;
      const admitted = d.connections.admit(socket, max);
      if (admitted.ok) return;
      refused.add(socket);
      d.metrics.denied.inc({ reason: 'too_many_connections' });
      const now = performance.now();
      if (now - (capAudited.get(admitted.uid) ?? -Infinity) >= CAP_AUDIT_EVERY_MS) {
        capAudited.set(admitted.uid, now);
        d.audit.add('proxy.denied', { reason: 'too_many_connections', uid: admitted.uid, open: admitted.open, limit: max });
      }
      replyRaw(socket, 503, 'ERR_PROXY_TOO_MANY_CONNECTIONS', `uid ${admitted.uid} already holds ${admitted.open} open connections to the proxy ([proxy] max_connections_per_uid = ${max}); reuse connections (keep-alive) or raise the limit`);
    },
    onTunnel(req: IncomingMessage, socket: Duplex): void {
      const what = req.method === 'CONNECT' ? 'CONNECT' : `upgrade to ${String(req.headers.upgrade ?? '').slice(0, 32)}`;
      d.stats.blocked++;
      d.metrics.denied.inc({ reason: 'method_not_allowed' });
      d.audit.add('proxy.denied', { request_id: randomUUID(), reason: 'method_not_allowed', detail: what, method: req.method, path: pathOnly(req.url) });
      replyRaw(socket, 405, 'ERR_PROXY_METHOD_NOT_ALLOWED', `${what} is not forwarded: the proxy carries plain HTTP requests of provider APIs only`, { allow: ALLOW_HEADER });
    },
    handle(req: IncomingMessage, res: ServerResponse): void {
      if (refused.has(req.socket)) return void req.socket.destroy();
      const t0 = performance.now();
      const v = identify(req.socket);
      if (v instanceof Promise) void v.then((known) => decideAndForward(req, res, t0, toDecision(known)));
      else decideAndForward(req, res, t0, toDecision(v));
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

  /** A request past a limit (method, headers, body, path): refused before any key is fetched, audited, and the connection closed so an unread body is not drained. */
  function refuseRequest(req: IncomingMessage, res: ServerResponse, t0: number, requestId: string, refusal: Refusal, who: Record<string, unknown>): void {
    d.stats.blocked++;
    d.metrics.denied.inc({ reason: refusal.reason });
    d.audit.add('proxy.denied', { request_id: requestId, reason: refusal.reason, method: req.method?.slice(0, 16), path: pathOnly(req.url).slice(0, PATH_AUDIT_MAX), ...who });
    res.setHeader('connection', 'close');
    if (refusal.status === 405) res.setHeader('allow', ALLOW_HEADER);
    sendError(res, refusal.status, refusal.code, refusal.message, t0);
  }

  function decideAndForward(req: IncomingMessage, res: ServerResponse, t0: number, decision: Decision): void {
    const requestId = randomUUID();
    res.setHeader('x-raypher-request-id', requestId);
    const r = routeOrError(d.providers(), req.url ?? '/');
    const who = decision.caller ? { pid: decision.caller.pid, uid: decision.caller.uid, exe: decision.caller.exe, exe_hash: decision.caller.exe_hash, identity_source: decision.caller.source } : {};
    if (d.panic.engaged) return refuseInPanic(req, res, t0, requestId, who);
    if (!decision.allowed) {
      d.stats.blocked++;
      d.metrics.denied.inc({ reason: decision.reason });
      d.audit.add('proxy.denied', { request_id: requestId, reason: decision.reason, detail: decision.detail, entry_id: decision.entryId, method: req.method, path: r instanceof Error ? pathOnly(req.url) : (r?.auditPath ?? pathOnly(req.url)), ...who, script: decision.caller?.script ?? null });
      if (decision.reason === 'exe_changed') d.audit.add('proxy.exe_changed', { request_id: requestId, ...who });
      if (decision.reason === 'code_changed' && decision.entryId !== null) {
        d.audit.add('proxy.code_changed', { request_id: requestId, entry_id: decision.entryId, detail: decision.detail, ...who });
        d.onCodeChanged(decision.entryId);
      }
      if (d.config().on_deny === 'drop') {
        req.socket.destroy();
        return;
      }
      return sendError(res, 403, 'ERR_PROXY_CALLER_DENIED', denyMessage(decision.reason, decision.detail), t0, { reason: decision.reason, pid: decision.caller?.pid ?? null, exe: decision.caller?.exe ?? null });
    }
    const refusal = checkRequest(req, d.config()) ?? (r instanceof Error ? badPathRefusal(r) : null);
    if (refusal) return refuseRequest(req, res, t0, requestId, refusal, who);
    if (!r || r instanceof Error) return sendError(res, 404, 'ERR_PROXY_UNKNOWN_ROUTE', `no provider serves ${pathOnly(req.url)}; use /v1/... (OpenAI-compatible), /anthropic/... or /gemini/...`, t0);
    const limitKey = `${decision.caller.exe_hash}:${decision.caller.uid}`;
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
      const route_ = r as Route;
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !DROP_REQUEST.has(k)) headers[k] = v;
      headers['accept-encoding'] = 'identity'; // a compressed body would hide an echoed key from the scrubber
      headers[route_.provider.authHeader] = route_.provider.authValue(key);
      headers['x-raypher-request-id'] = requestId; // the provider's logs and ours name the same key use
      const guard = new KeyEchoGuard(key);
      const upstreamStart = performance.now();
      const overheadBefore = upstreamStart - t0;
      let bytesOut = 0;
      let bytesIn = 0;
      let status = 0;
      const usage = new UsageTail();
      d.metrics.overhead.observe(overheadBefore / 1000);
      // The key use is on record before the key leaves; completion (or failure) is added to the same record.
      try {
        d.audit.begin(requestId, { request_id: requestId, provider: route_.provider.name, method: req.method, path: route_.auditPath, ...who, script: decision.caller?.script ?? null });
      } catch (err) {
        d.limiter.refund(limitKey, perMinute);
        return sendError(res, 503, 'ERR_AUDIT_JOURNAL', `the key use could not be recorded, so no key was used: ${(err as Error).message}`, t0);
      }
      const abort = d.upstreams.send(
        { base: route_.provider.base, path: route_.upstreamPath, method: req.method ?? 'GET', headers, body: requestBody(req, d.config().max_body_bytes, (n) => (bytesIn += n)), headersTimeoutMs: d.config().upstream_timeout_ms },
        res,
        {
          onHeaders(code, upHeaders) {
            d.metrics.upstream.observe((performance.now() - upstreamStart) / 1000);
            const encoded = encodingProblem(upHeaders);
            if (encoded) return encoded;
            status = code;
            const out = guard.headers(upHeaders, DROP_RESPONSE);
            out['x-raypher-request-id'] = requestId;
            out['x-raypher-overhead-ms'] = overheadBefore.toFixed(3); // time inside Raypher before the upstream request
            res.writeHead(code, out);
            return null;
          },
          filter: (chunk) => guard.filter(chunk),
          flush: () => guard.flush(),
          onChunk(chunk) {
            bytesOut += chunk.length;
            usage.push(chunk);
          },
          onEnd() {
            inFlight.delete(abort);
            reportEcho();
            const latency = performance.now() - t0;
            d.stats.served++;
            d.metrics.requests.inc({ provider: route_.provider.name, status: String(status) });
            d.stats.latencyMsTotal += latency;
            d.audit.complete(requestId, { status, latency_ms: round(latency), overhead_ms: round(overheadBefore), bytes_in: bytesIn, bytes_out: bytesOut, usage: usage.usage() });
          },
          onError(err, timeout) {
            inFlight.delete(abort);
            reportEcho();
            d.audit.complete(requestId, { status: res.headersSent ? status : 0, error: String(err.code ?? err.message), latency_ms: round(performance.now() - t0), overhead_ms: round(overheadBefore), bytes_in: bytesIn, bytes_out: bytesOut, usage: usage.usage() });
            if (err.code === 'CLIENT_GONE') return; // nobody to answer; the 'close' handler refunded the slot
            if (res.headersSent) return void res.destroy(err);
            d.limiter.refund(limitKey, perMinute);
            if (err.code === 'PANIC') return refuseInPanic(req, res, t0, requestId, who);
            // A chunked body went over the limit: its upstream request was cut mid-body, so the provider got no complete request.
            if (err.code === 'ERR_PROXY_BODY_TOO_LARGE') return refuseRequest(req, res, t0, requestId, bodyTooLarge(d.config().max_body_bytes), who);
            sendError(res, timeout ? 504 : 502, timeout ? 'ERR_PROXY_UPSTREAM_TIMEOUT' : 'ERR_PROXY_UPSTREAM', `${route_.provider.name} upstream ${timeout ? 'did not answer in time' : `failed: ${err.code ?? err.message}`}`, t0);
          },
        },
      );
      inFlight.add(abort);
      /** The upstream echoed the key: audited with where it was (never the key); the client got the marker instead. */
      function reportEcho(): void {
        const where = guard.where();
        if (where.length === 0) return;
        d.metrics.keyEchoed.inc();
        d.audit.add('proxy.key_echoed', { request_id: requestId, provider: route_.provider.name, where, path: route_.auditPath, ...who });
        d.logger.warn('the upstream echoed the injected key; it was masked before reaching the client', { request_id: requestId, provider: route_.provider.name, where });
      }
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
function requestBody(req: IncomingMessage, maxBytes: number, onBytes: (n: number) => void): IncomingMessage | AsyncIterable<Buffer> | null {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined) return limitedBody(req, maxBytes, onBytes);
  if (length === undefined || length === '0') return null;
  onBytes(Number(length));
  return req;
}

/** The route, null for no provider, or the ERR_PROXY_BAD_PATH error for a path that would leave one. */
function routeOrError(providers: readonly Provider[], url: string): Route | null | Error {
  try {
    return route(providers, url);
  } catch (err) {
    return err as Error;
  }
}

/** A refused connection flood is audited at most once a second per uid, in ms. */
const CAP_AUDIT_EVERY_MS = 1000;
/** Audit rows keep at most this much of a refused path. */
const PATH_AUDIT_MAX = 512;

const PANIC_MESSAGE = "panic mode is engaged: Raypher refuses every request; an operator releases it with 'raypherctl panic release'";

function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string, t0: number, extra: Record<string, unknown> = {}): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify({ error: { code, message, ...extra } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-raypher-overhead-ms': (performance.now() - t0).toFixed(3) });
  res.end(body);
}

/** What a denied caller is told: the reason, what was seen, and the fix (docs/security.md explains each). */
const DENY_MESSAGES: Record<DenyReason, string> = {
  no_process: 'the calling process could not be identified',
  not_listed: 'this process is not on the allow list; add it with raypherctl allow --exe-path ...',
  exe_changed: 'this executable changed on disk since it was allow-listed; re-add it with raypherctl allow --exe-path',
  wrong_uid: 'this program is allow-listed for another uid; add an entry with raypherctl allow --uid',
  inherited_socket: 'the connection was inherited across an exec: a program must open its own connection to the proxy',
  exec_after_connect: 'the process executed a new program after it connected: a program must open its own connection',
  no_exec_record: 'this process started before Raypher recorded its exec (or the exec ledger is off): restart it, or add the entry with --proc-fallback',
  env_injection: 'its environment injects code at start-up; unset the variable, or name it with raypherctl allow --allow-env',
  option_denied: 'it was started with an option that runs or loads other code; or name a harmless one with --allow-option',
  inline_code: 'inline code (-c/-e/-m/stdin) is not allowed for this interpreter',
  script_not_allowed: 'this interpreter is allow-listed only for other scripts; add this one with raypherctl allow --exe-path ... --script ...',
  code_changed: "the entry's pinned code changed; check the change, then run raypherctl allow refresh ID",
};

function denyMessage(reason: DenyReason, detail: string | null): string {
  return detail ? `${DENY_MESSAGES[reason]} (${detail})` : DENY_MESSAGES[reason];
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const pathOnly = (url: string | undefined): string => (url ?? '/').split('?')[0] ?? '/';
