// What the proxy accepts from a client before any key is fetched: methods, header count, body size.
import type { IncomingMessage } from 'node:http';
import type { Config } from '@raypher/shared/config';
import { RaypherError } from '@raypher/shared/errors';
import type { Refusal } from './refusals.js';

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

/** Refusals of a request past a limit, before any key is fetched (refusals.ts says how each is answered). */
export type LimitRefusal = Extract<Refusal, { kind: 'method_not_allowed' | 'too_many_headers' | 'body_too_large' }>;

/** The first limit this request breaks, or null. The body's declared length is checked here, a chunked one as it streams. */
export function checkRequest(req: IncomingMessage, limits: Config['proxy']): LimitRefusal | null {
  const method = req.method ?? '';
  if (!ALLOWED_METHODS.has(method)) return { kind: 'method_not_allowed', method };
  const count = req.rawHeaders.length / 2;
  if (count > limits.max_header_count) return { kind: 'too_many_headers', count, max: limits.max_header_count };
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > limits.max_body_bytes) return { kind: 'body_too_large', max: limits.max_body_bytes };
  return null;
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
    if (total > max) throw new RaypherError('ERR_PROXY_BODY_TOO_LARGE', `the chunked request body went over ${max} bytes`);
    onBytes((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}
