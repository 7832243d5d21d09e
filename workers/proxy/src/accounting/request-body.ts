// The request body of a chat stream whose usage Raypher asks for (include_usage): read whole, rewritten once.
// Every other request streams through untouched (upstream-request.ts).
import type { IncomingMessage } from 'node:http';
import type { Route } from '../providers.js';
import { askForUsage } from './include-usage.js';

export interface PreparedBody {
  body: Buffer;
  /** The client's body size (bytes_in), before the rewrite. */
  clientBytes: number;
  /** stream_options.include_usage was added: the response's usage chunk is taken out again. */
  injected: boolean;
}

const CHAT_COMPLETIONS = /\/chat\/completions$/;

/** null when the body streams as it is; else the body, read and maybe rewritten (rejects if the client goes away). */
export function prepareBody(req: IncomingMessage, route: Route, maxBytes: number): Promise<PreparedBody> | null {
  if (!route.provider.injectUsage || req.method !== 'POST' || !CHAT_COMPLETIONS.test(route.auditPath)) return null;
  // A content-length body within the limit (checked before the decision); chunked bodies stream as they are.
  const length = Number(req.headers['content-length'] ?? NaN);
  if (!Number.isSafeInteger(length) || length <= 0 || length > maxBytes || req.headers['transfer-encoding'] !== undefined) return null;
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return null;
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    req.on('data', (c: Buffer) => {
      got += c.length;
      parts.push(c);
    });
    req.once('end', () => {
      const body = Buffer.concat(parts, got);
      const asked = askForUsage(body);
      resolve({ body: asked ?? body, clientBytes: got, injected: asked !== null });
    });
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('client went away'));
    });
  });
}
