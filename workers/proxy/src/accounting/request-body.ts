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

/**
 * Bytes of request bodies held at once while they are read whole: at least one body of [proxy] max_body_bytes,
 * else 128 MiB. Over it a request is refused 503 ERR_PROXY_BUSY instead of read (allowed agents only reach this
 * step, but a prompt-injected one could otherwise hold connections × max_body_bytes of memory).
 */
const BODY_BUDGET_BYTES = 128 * 1024 * 1024;

export class BodyBudget {
  private held = 0;

  /** Takes `bytes` of the budget (give them back with release), or returns false when they do not fit. */
  take(bytes: number, maxBody: number): boolean {
    if (this.held > 0 && this.held + bytes > Math.max(BODY_BUDGET_BYTES, maxBody)) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held -= bytes;
  }

  get bytes(): number {
    return this.held;
  }
}

/** An OpenAI-compatible chat completion to a provider whose streams Raypher asks usage for. */
const asksUsage = (r: Route, req: IncomingMessage) => r.provider.injectUsage && req.method === 'POST' && CHAT_COMPLETIONS.test(r.after);

/**
 * null when the body streams as it is; a refusal when the bodies being read fill the budget; else the body, read
 * and maybe rewritten, with its route, or the refusal of its model's route (rejects if the client goes away). Only
 * a JSON POST body with a content-length within the limit (checked before the decision) is read; a chunked body
 * goes by its path as it is.
 */
export function prepareBody(req: IncomingMessage, route: Route, maxBytes: number, models: ModelRoutes, budget: BodyBudget): Promise<PreparedBody | Refusal> | Refusal | null {
  const byModel = req.method === 'POST' && models.applyTo(route.provider);
  if (!byModel && !asksUsage(route, req)) return null;
  const length = Number(req.headers['content-length'] ?? NaN);
  if (!Number.isSafeInteger(length) || length <= 0 || length > maxBytes || req.headers['transfer-encoding'] !== undefined) return null;
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return null;
  if (!budget.take(length, maxBytes)) return { kind: 'busy', held: budget.bytes };
  const read = readWhole(req, length);
  const release = () => budget.release(length);
  read.then(release, release);
  return read.then((body) => {
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
