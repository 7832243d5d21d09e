// The decision for one request, before anything leaves the proxy: an allowed route (caller, route, rate-limit slot)
// or a refusal. Synchronous: the key is taken after the body step, once the provider is final (forward.ts).
import type { IncomingMessage } from 'node:http';
import type { Config } from '@raypher/shared/config';
import { isRaypherError } from '@raypher/shared/errors';
import type { AllowList } from './allow-list.js';
import { pathOnly } from './exchange.js';
import type { CallerSummary, Verdict } from './identity/decide.js';
import type { PanicSwitch } from './panic.js';
import { route, type Provider, type Route } from './providers.js';
import type { RateLimiter } from './rate-limit.js';
import type { Refusal } from './refusals.js';
import { checkRequest } from './request-limits.js';

/** A token taken from the caller's bucket; given back when the request gets no upstream response. */
export interface Slot {
  bucket: string;
  perMinute: number;
}

/** The allow-list entry a request runs under: usage and metrics are per entry. */
export interface Agent {
  id: number;
  name: string | null;
}

export type Decision = { ok: true; caller: CallerSummary; agent: Agent; route: Route; slot: Slot } | { ok: false; refusal: Refusal; slot: Slot | null };

export interface DecisionDeps {
  config(): Config['proxy'];
  providers(): readonly Provider[];
  allowList: AllowList;
  panic: PanicSwitch;
  limiter: RateLimiter;
}

/** In order: panic, the caller, the request's limits and path, the route, the rate limit. */
export function decideRequest(d: DecisionDeps, req: IncomingMessage, verdict: Verdict | Error): Decision {
  const r = routeOrError(d.providers(), req.url ?? '/');
  if (d.panic.engaged) return refused({ kind: 'panic' });
  const path = r instanceof Error || r === null ? pathOnly(req.url) : r.auditPath;
  if (verdict instanceof Error) {
    const unsupported = isRaypherError(verdict) && verdict.code === 'ERR_PROXY_IDENTITY_UNSUPPORTED';
    return refused({ kind: unsupported ? 'identity_unsupported' : 'identity_failed', detail: verdict.message, path });
  }
  const entry = verdict.allowed ? d.allowList.get(verdict.entryId) : null;
  if (!verdict.allowed || !entry) {
    const v = verdict.allowed ? { reason: 'not_listed' as const, detail: 'the entry was removed', entryId: null } : verdict;
    return refused({ kind: 'denied', reason: v.reason, detail: v.detail, entryId: v.entryId, path, pid: verdict.caller?.pid ?? null, exe: verdict.caller?.exe ?? null });
  }
  const limit = checkRequest(req, d.config()) ?? (r instanceof Error ? { kind: 'bad_path' as const, detail: r.message } : null);
  if (limit) return refused(limit);
  if (r === null || r instanceof Error) return refused({ kind: 'unknown_route', path });
  const caller = verdict.caller;
  const slot: Slot = { bucket: `${caller.exe_hash}:${caller.uid}`, perMinute: entry.rate_limit ?? d.config().rate_limit };
  const taken = d.limiter.take(slot.bucket, slot.perMinute);
  if (!taken.ok) return refused({ kind: 'rate_limited', provider: r.provider.name, perMinute: slot.perMinute, retryAfterSecs: taken.retryAfterSecs });
  return { ok: true, caller, agent: { id: entry.id, name: entry.friendly_name }, route: r, slot };
}

const refused = (refusal: Refusal): Decision => ({ ok: false, refusal, slot: null });

/** The route, null for no provider, or the ERR_PROXY_BAD_PATH error for a path that would leave one. */
function routeOrError(providers: readonly Provider[], url: string): Route | null | Error {
  try {
    return route(providers, url);
  } catch (err) {
    return err as Error;
  }
}
