// The request bodies Raypher reads before forwarding: one whose model may be routed ([[proxy.model_routes]]) and a
// chat stream whose usage Raypher asks for (include_usage). Read whole, parsed once, rewritten at most once.
// Every other request streams through untouched (upstream-request.ts).
import type { IncomingMessage } from 'node:http';
import type { ModelRoutes } from '../model-routes.js';
import type { Route } from '../providers.js';
import type { Refusal } from '../refusals.js';
import { askForUsage, jsonObject, withUsageAsked } from './include-usage.js';

export interface PreparedBody {
  body: Buffer;
  /** The client's body size (bytes_in), before the rewrite. */
  clientBytes: number;
  /** stream_options.include_usage was added: the response's usage chunk is taken out again. */
  injected: boolean;
  /** Where the request goes: the path's route, or the one its model is routed to. */
  route: Route;
}

const CHAT_COMPLETIONS = /\/chat\/completions$/;

/** An OpenAI-compatible chat completion to a provider whose streams Raypher asks usage for. */
const asksUsage = (r: Route, req: IncomingMessage) => r.provider.injectUsage && req.method === 'POST' && CHAT_COMPLETIONS.test(r.after);

/**
 * null when the body streams as it is; else the body, read and maybe rewritten, with its route, or the refusal of
 * its model's route (rejects if the client goes away). Only a JSON POST body with a content-length within the limit
 * (checked before the decision) is read; a chunked body goes by its path as it is.
 */
export function prepareBody(req: IncomingMessage, route: Route, maxBytes: number, models: ModelRoutes): Promise<PreparedBody | Refusal> | null {
  const byModel = req.method === 'POST' && models.applyTo(route.provider);
  if (!byModel && !asksUsage(route, req)) return null;
  const length = Number(req.headers['content-length'] ?? NaN);
  if (!Number.isSafeInteger(length) || length <= 0 || length > maxBytes || req.headers['transfer-encoding'] !== undefined) return null;
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return null;
  return readWhole(req, length).then((body) => {
    if (!byModel) {
      const asked = askForUsage(body);
      return { body: asked ?? body, clientBytes: body.length, injected: asked !== null, route };
    }
    const doc = jsonObject(body);
    const model = doc?.model;
    const routed = typeof model === 'string' ? models.route(route, model) : route;
    if ('kind' in routed) return routed;
    const asked = asksUsage(routed, req) ? withUsageAsked(body, doc) : null;
    return { body: asked ?? body, clientBytes: body.length, injected: asked !== null, route: routed };
  });
}

function readWhole(req: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    req.on('data', (c: Buffer) => {
      got += c.length;
      parts.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(parts, Math.min(got, length))));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('client went away'));
    });
  });
}
