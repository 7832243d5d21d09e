// Every way the proxy refuses a request, and the one table that says how each is answered and audited.
import type { EventName } from '@raypher/shared/db';
import type { ErrorCode } from '@raypher/shared/errors';
import type { DenyReason } from './identity/decide.js';
import { DENY_MESSAGES } from './deny-messages.js';
import { ALLOW_HEADER } from './request-limits.js';

export type Refusal =
  | { kind: 'denied'; reason: DenyReason; detail: string | null; entryId: number | null; path: string; pid: number | null; exe: string | null }
  | { kind: 'identity_failed'; detail: string; path: string }
  | { kind: 'identity_unsupported'; detail: string; path: string }
  | { kind: 'panic' }
  | { kind: 'method_not_allowed'; method: string }
  | { kind: 'too_many_headers'; count: number; max: number }
  | { kind: 'body_too_large'; max: number }
  | { kind: 'bad_path'; detail: string }
  | { kind: 'unknown_route'; path: string }
  /** The body's model is routed ([[proxy.model_routes]]) to a provider of another API than the path's. */
  | { kind: 'model_api'; model: string; provider: string; api: string; pathApi: string; path: string }
  /** The bodies the proxy is reading whole fill their budget. */
  | { kind: 'busy'; held: number }
  /** The routes were reloaded while the body was read, and the request's provider is no longer as it was. */
  | { kind: 'reloaded'; provider: string }
  | { kind: 'rate_limited'; provider: string; perMinute: number; retryAfterSecs: number }
  | { kind: 'no_key'; detail: string }
  /** The vault could not give the key: its own code (unreachable, locked, …) goes to the client. */
  | { kind: 'vault_failed'; detail: string; code: ErrorCode }
  | { kind: 'journal_failed'; detail: string }
  | { kind: 'upstream_failed'; provider: string; cause: string }
  | { kind: 'upstream_timeout'; provider: string }
  /** A protocol upgrade or CONNECT, answered on the raw socket. */
  | { kind: 'tunnel'; what: string }
  /** A connection over its uid's cap, answered on the raw socket. */
  | { kind: 'too_many_connections'; uid: number; open: number; limit: number };

/** What an audit row says of the request beside the refusal. */
export interface RequestFacts {
  requestId: string;
  method: string | undefined;
  /** The path without its query. */
  path: string;
  /** The caller's pid, uid, exe, exe_hash and identity source; empty when it is unknown. */
  who: Record<string, unknown>;
  script: string | null;
}

export interface Row<R> {
  status: number;
  code: ErrorCode;
  /** A code that depends on the refusal (the vault's own); else `code`. */
  codeOf?(r: R): ErrorCode;
  message(r: R): string;
  /** The proxy.denied reason this refusal counts under (raypher_proxy_denied_total); absent: not counted. */
  metric?(r: R): string;
  /** Counted in /health requests_blocked. */
  blocked?: true;
  /** The connection is closed after the answer: an unread body is not drained. */
  close?: true;
  headers?(r: R): Record<string, string>;
  /** Fields the JSON error body carries beside code and message. */
  body?(r: R): Record<string, unknown>;
  /** A request whose body the proxy read keeps its rate-limit slot spent (the client's doing); else the refusal gives it back. */
  spendsSlot?: true;
  /** The audit rows, in order. */
  audit?(r: R, f: RequestFacts): Array<[EventName, Record<string, unknown>]>;
}

type Table = { [K in Refusal['kind']]: Row<Extract<Refusal, { kind: K }>> };

/** Audit rows keep at most this much of a refused path. */
const PATH_AUDIT_MAX = 512;

const PANIC_MESSAGE = "panic mode is engaged: Raypher refuses every request; an operator releases it with 'raypherctl panic release'";

/** A request past a limit: refused before any key is fetched, its method and path cut short in the row. */
const overLimit = (reason: string) => ({
  metric: () => reason,
  blocked: true as const,
  close: true as const,
  audit: (_r: unknown, f: RequestFacts): Array<[EventName, Record<string, unknown>]> => [['proxy.denied', { request_id: f.requestId, reason, method: f.method?.slice(0, 16), path: f.path.slice(0, PATH_AUDIT_MAX), ...f.who }]],
});

const deniedRow = (r: { reason: DenyReason; detail: string | null; entryId: number | null; path: string }, f: RequestFacts): [EventName, Record<string, unknown>] =>
  ['proxy.denied', { request_id: f.requestId, reason: r.reason, detail: r.detail, entry_id: r.entryId, method: f.method, path: r.path, ...f.who, script: f.script }];

/** Identification gave no verdict: audited as the no_process denial it was before it had its own answer. */
const unidentified = {
  status: 503,
  metric: () => 'no_process',
  blocked: true as const,
  audit: (r: { detail: string; path: string }, f: RequestFacts): Array<[EventName, Record<string, unknown>]> => [deniedRow({ reason: 'no_process', detail: r.detail, entryId: null, path: r.path }, f)],
};

export const REFUSALS: Table = {
  denied: {
    status: 403,
    code: 'ERR_PROXY_CALLER_DENIED',
    message: (r) => (r.detail ? `${DENY_MESSAGES[r.reason]} (${r.detail})` : DENY_MESSAGES[r.reason]),
    metric: (r) => r.reason,
    blocked: true,
    body: (r) => ({ reason: r.reason, pid: r.pid, exe: r.exe }),
    audit: (r, f) => {
      const rows = [deniedRow(r, f)];
      if (r.reason === 'exe_changed') rows.push(['proxy.exe_changed', { request_id: f.requestId, ...f.who }]);
      if (r.reason === 'code_changed' && r.entryId !== null) rows.push(['proxy.code_changed', { request_id: f.requestId, entry_id: r.entryId, detail: r.detail, ...f.who }]);
      return rows;
    },
  },
  identity_failed: { code: 'ERR_PROXY_IDENTITY_FAILED', message: (r) => `${DENY_MESSAGES.no_process} (${r.detail}); refused (fail closed): retry the request, and if it persists see the proxy's log`, ...unidentified },
  identity_unsupported: { code: 'ERR_PROXY_IDENTITY_UNSUPPORTED', message: (r) => r.detail, ...unidentified },
  panic: {
    status: 503,
    code: 'ERR_PROXY_PANIC',
    message: () => PANIC_MESSAGE,
    metric: () => 'panic',
    blocked: true,
    audit: (_r, f) => [['proxy.denied', { request_id: f.requestId, reason: 'panic', method: f.method, path: f.path, ...f.who }]],
  },
  method_not_allowed: { status: 405, code: 'ERR_PROXY_METHOD_NOT_ALLOWED', message: (r) => `method ${r.method.slice(0, 16)} is not forwarded; provider APIs use ${ALLOW_HEADER}`, headers: () => ({ allow: ALLOW_HEADER }), ...overLimit('method_not_allowed') },
  too_many_headers: { status: 431, code: 'ERR_PROXY_TOO_MANY_HEADERS', message: (r) => `the request has ${r.count} headers; at most ${r.max} are accepted ([proxy] max_header_count)`, ...overLimit('too_many_headers') },
  body_too_large: { status: 413, code: 'ERR_PROXY_BODY_TOO_LARGE', message: (r) => `the request body is larger than ${r.max} bytes ([proxy] max_body_bytes)`, ...overLimit('body_too_large') },
  bad_path: { status: 400, code: 'ERR_PROXY_BAD_PATH', message: (r) => r.detail, ...overLimit('bad_path') },
  unknown_route: { status: 404, code: 'ERR_PROXY_UNKNOWN_ROUTE', message: (r) => `no provider serves ${r.path}; use /v1/... (OpenAI-compatible), /anthropic/... or /gemini/...` },
  model_api: {
    status: 400,
    code: 'ERR_PROXY_MODEL_API',
    message: (r) =>
      `model ${JSON.stringify(r.model.slice(0, 128))} goes to provider ${r.provider} ([[proxy.model_routes]]), which speaks the ${r.api} API, but ${r.path.slice(0, PATH_AUDIT_MAX)} is a path of the ${r.pathApi} API; Raypher does not translate between APIs: send the request to ${r.provider}'s own path, or change the route`,
    body: (r) => ({ model: r.model.slice(0, 128), provider: r.provider }),
    metric: () => 'model_api',
    spendsSlot: true,
    audit: (r, f) => [['proxy.denied', { request_id: f.requestId, reason: 'model_api', model: r.model.slice(0, 128), provider: r.provider, method: f.method, path: r.path.slice(0, PATH_AUDIT_MAX), ...f.who }]],
  },
  busy: {
    status: 503,
    code: 'ERR_PROXY_BUSY',
    message: (r) => `the proxy already holds ${r.held} bytes of request bodies it reads whole (routed models, usage asks); retry shortly`,
    headers: () => ({ 'retry-after': '1' }),
    metric: () => 'busy',
  },
  reloaded: {
    status: 503,
    code: 'ERR_PROXY_RELOADED',
    message: (r) => `the proxy's routes were reloaded while this request was read, and provider ${r.provider} changed; send the request again`,
    headers: () => ({ 'retry-after': '0' }),
  },
  rate_limited: {
    status: 429,
    code: 'ERR_PROXY_RATE_LIMITED',
    message: (r) => `more than ${r.perMinute} requests per minute from this process; retry in ${r.retryAfterSecs} s`,
    metric: () => 'rate_limited',
    blocked: true,
    headers: (r) => ({ 'retry-after': String(r.retryAfterSecs) }),
    audit: (r, f) => [['proxy.rate_limited', { request_id: f.requestId, provider: r.provider, ...f.who, limit_per_minute: r.perMinute }]],
  },
  no_key: { status: 503, code: 'ERR_PROXY_NO_KEY', message: (r) => r.detail },
  vault_failed: { status: 503, code: 'ERR_VAULT_UNREACHABLE', codeOf: (r) => r.code, message: (r) => r.detail },
  journal_failed: { status: 503, code: 'ERR_AUDIT_JOURNAL', message: (r) => `the key use could not be recorded, so no key was used: ${r.detail}` },
  upstream_failed: { status: 502, code: 'ERR_PROXY_UPSTREAM', message: (r) => `${r.provider} upstream failed: ${r.cause}` },
  upstream_timeout: { status: 504, code: 'ERR_PROXY_UPSTREAM_TIMEOUT', message: (r) => `${r.provider} upstream did not answer in time` },
  tunnel: {
    status: 405,
    code: 'ERR_PROXY_METHOD_NOT_ALLOWED',
    message: (r) => `${r.what} is not forwarded: the proxy carries plain HTTP requests of provider APIs only`,
    metric: () => 'method_not_allowed',
    blocked: true,
    headers: () => ({ allow: ALLOW_HEADER }),
    audit: (r, f) => [['proxy.denied', { request_id: f.requestId, reason: 'method_not_allowed', detail: r.what, method: f.method, path: f.path }]],
  },
  too_many_connections: {
    status: 503,
    code: 'ERR_PROXY_TOO_MANY_CONNECTIONS',
    message: (r) => `uid ${r.uid} already holds ${r.open} open connections to the proxy ([proxy] max_connections_per_uid = ${r.limit}); reuse connections (keep-alive) or raise the limit`,
    metric: () => 'too_many_connections',
    audit: (r) => [['proxy.denied', { reason: 'too_many_connections', uid: r.uid, open: r.open, limit: r.limit }]],
  },
};

/** The table's row for one refusal, typed for it. */
export function rowOf<R extends Refusal>(r: R): Row<R> {
  return REFUSALS[r.kind] as Row<R>;
}
