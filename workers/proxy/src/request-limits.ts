// What the proxy accepts from a client before any key is fetched: methods, header count, body size.
import type { IncomingMessage } from 'node:http';
import type { Config } from '@raypher/shared/config';
import { RaypherError, type ErrorCode } from '@raypher/shared/errors';

/**
 * The methods provider APIs use. TRACE would echo the injected key back; CONNECT and protocol upgrades would
 * turn the proxy into a tunnel the key-injection never sees; those arrive as 'connect'/'upgrade' events.
 */
export const ALLOWED_METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
export const ALLOW_HEADER = [...ALLOWED_METHODS].join(', ');

/**
 * node's parser keeps at most this many headers and silently drops the rest, so it is set above the highest
 * max_header_count the config accepts (1000): a request over the limit is always seen, and refused, whole.
 */
export const PARSER_MAX_HEADERS = 1001;

export interface Refusal {
  status: number;
  code: ErrorCode;
  /** The proxy.denied reason. */
  reason: 'method_not_allowed' | 'too_many_headers' | 'body_too_large' | 'bad_path';
  message: string;
}

/** The first limit this request breaks, or null. The body's declared length is checked here, a chunked one as it streams. */
export function checkRequest(req: IncomingMessage, limits: Config['proxy']): Refusal | null {
  const method = req.method ?? '';
  if (!ALLOWED_METHODS.has(method)) return { status: 405, code: 'ERR_PROXY_METHOD_NOT_ALLOWED', reason: 'method_not_allowed', message: `method ${method.slice(0, 16)} is not forwarded; provider APIs use ${ALLOW_HEADER}` };
  const headers = req.rawHeaders.length / 2;
  if (headers > limits.max_header_count) return { status: 431, code: 'ERR_PROXY_TOO_MANY_HEADERS', reason: 'too_many_headers', message: `the request has ${headers} headers; at most ${limits.max_header_count} are accepted ([proxy] max_header_count)` };
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > limits.max_body_bytes) return bodyTooLarge(limits.max_body_bytes);
  return null;
}

export function bodyTooLarge(max: number): Refusal {
  return { status: 413, code: 'ERR_PROXY_BODY_TOO_LARGE', reason: 'body_too_large', message: `the request body is larger than ${max} bytes ([proxy] max_body_bytes)` };
}

/** A path that would leave its provider (providers.ts route threw ERR_PROXY_BAD_PATH). */
export function badPathRefusal(err: Error): Refusal {
  return { status: 400, code: 'ERR_PROXY_BAD_PATH', reason: 'bad_path', message: err.message };
}

/**
 * A chunked body counted on its way upstream; past `max` bytes it throws ERR_PROXY_BODY_TOO_LARGE, which aborts the
 * upstream request mid-body (the provider never gets a complete request). An async iterable, because a 'data'
 * listener would drain the body before undici reads it.
 */
export async function* limitedBody(body: IncomingMessage, max: number, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > max) throw new RaypherError('ERR_PROXY_BODY_TOO_LARGE', bodyTooLarge(max).message);
    onBytes((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}
