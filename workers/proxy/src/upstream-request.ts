// What goes upstream for an allowed request: the client's headers minus credentials and hop-by-hop ones, the real
// key in the provider's auth header, and the body streamed (a chunked one counted against the limit on the way).
import type { IncomingMessage } from 'node:http';
import type { Route } from './providers.js';
import { limitedBody } from './request-limits.js';

/** Client headers that never go upstream: credentials (ours are injected) and hop-by-hop headers. */
const DROP_REQUEST: ReadonlySet<string> = new Set(['authorization', 'x-api-key', 'x-goog-api-key', 'x-raypher-token', 'host', 'connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'upgrade', 'transfer-encoding', 'expect']);

export function upstreamHeaders(req: IncomingMessage, r: Route, key: string, requestId: string): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !DROP_REQUEST.has(k)) headers[k] = v;
  headers['accept-encoding'] = 'identity'; // a compressed body would hide an echoed key from the scrubber
  headers[r.provider.authHeader] = r.provider.authValue(key);
  headers['x-raypher-request-id'] = requestId; // the provider's logs and ours name the same key use
  return headers;
}

/**
 * The client's body for undici, or null when it announced none. With a content-length (what SDKs send) the
 * request streams as is and undici enforces that length; a chunked body is counted on the way through an
 * async iterable, since a 'data' listener would drain it before undici reads.
 */
export function requestBody(req: IncomingMessage, maxBytes: number, onBytes: (n: number) => void): IncomingMessage | AsyncIterable<Buffer> | null {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined) return limitedBody(req, maxBytes, onBytes);
  if (length === undefined || length === '0') return null;
  onBytes(Number(length));
  return req;
}
