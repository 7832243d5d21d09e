// Answers a refusal the way the table in refusals.ts says: counted, audited, then written (or the connection dropped).
import type { Duplex } from 'node:stream';
import type { Config } from '@raypher/shared/config';
import type { AuditBatcher } from './audit-batch.js';
import type { Exchange } from './exchange.js';
import type { ProxyMetrics } from './metrics.js';
import { replyRaw } from './raw-reply.js';
import { rowOf, type Refusal, type RequestFacts, type Row } from './refusals.js';
import { writeError } from './response-writer.js';

export interface RefuseDeps {
  config(): Config['proxy'];
  audit: AuditBatcher;
  stats: { blocked: number };
  metrics: ProxyMetrics;
  /** A pinned code tree of this entry changed: mark it (denied until refreshed). */
  onCodeChanged(entryId: number): void;
}

export function refuse(d: RefuseDeps, x: Exchange, r: Refusal): void {
  const row = record(d, r, x.facts);
  x.slotSpent = row.spendsSlot === true;
  if (r.kind === 'denied') {
    if (r.reason === 'code_changed' && r.entryId !== null) d.onCodeChanged(r.entryId);
    if (d.config().on_deny === 'drop') return void x.req.socket.destroy();
  }
  const headers: Record<string, string> = { ...row.headers?.(r), 'x-raypher-request-id': x.facts.requestId };
  if (row.close) headers.connection = 'close';
  writeError(x.res, row.status, row.codeOf?.(r) ?? row.code, row.message(r), x.t0, headers, row.body?.(r));
}

/** A refusal answered on the raw socket (an upgrade, CONNECT, a connection over the cap); `facts` null: not audited. */
export function refuseSocket(d: RefuseDeps, socket: Duplex, r: Extract<Refusal, { kind: 'tunnel' | 'too_many_connections' }>, facts: RequestFacts | null): void {
  const row = facts ? record(d, r, facts) : count(d, r);
  replyRaw(socket, row.status, row.codeOf?.(r) ?? row.code, row.message(r), row.headers?.(r));
}

function record<R extends Refusal>(d: RefuseDeps, r: R, facts: RequestFacts): Row<R> {
  const row = count(d, r);
  if (row.audit) for (const [event, data] of row.audit(r, facts)) d.audit.add(event, data);
  return row;
}

function count<R extends Refusal>(d: RefuseDeps, r: R): Row<R> {
  const row = rowOf(r);
  if (row.blocked) d.stats.blocked++;
  const reason = row.metric?.(r);
  if (reason !== undefined) d.metrics.denied.inc({ reason });
  return row;
}
