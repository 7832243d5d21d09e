// One client request on its way through the proxy: what every step after identification reads and marks.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallerSummary } from './identity/decide.js';
import type { RequestFacts } from './refusals.js';
import type { Abort } from './upstream.js';

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** When the request arrived (performance.now()), for the overhead header and latencies. */
  t0: number;
  facts: RequestFacts;
  /** The upstream's head went to the client: the response is the provider's, and its rate-limit slot is spent. */
  forwarded: boolean;
  /**
   * The rate-limit slot stays spent without an upstream response: the proxy read the whole body (a routed model, an
   * injected usage ask) and the client then left or sent a model it may not (ERR_PROXY_MODEL_API). A refusal that is
   * the proxy's own doing (vault, journal, upstream, busy, reload) clears it.
   */
  slotSpent: boolean;
  /** Cuts the upstream request (client gone, panic); null until it is sent. */
  abort: Abort | null;
}

/** What audit rows say of the caller: pid, uid, executable and how it was identified. */
export function whoOf(caller: CallerSummary | null): Record<string, unknown> {
  return caller ? { pid: caller.pid, uid: caller.uid, exe: caller.exe, exe_hash: caller.exe_hash, identity_source: caller.source } : {};
}

export const pathOnly = (url: string | undefined): string => (url ?? '/').split('?')[0] ?? '/';
