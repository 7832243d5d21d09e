// Who spent what: proxy.request rows summed per caller identity, provider, model or day (raypherctl usage).
import type { UsageGroup } from '../vocab/index.js';
import type { Db } from './sqlite.js';

export interface UsageLine {
  /** The group's value: an allow-list entry id (agent), a provider, a model, or a day (YYYY-MM-DD, UTC). */
  key: string;
  /** For `agent`: what the entry is, as its last row names it. */
  agent: { entry_id: number | null; name: string | null; exe: string | null; script: string | null; uid: number | null } | null;
  requests: number;
  tokens: { input: number; output: number; cache_read: number; cache_write: number; reasoning: number };
  /** Sum over the priced requests only. */
  cost_micro_usd: number;
  /** Requests whose model is not in the price table (their cost is not in cost_micro_usd). */
  unpriced: number;
  /** Requests with no reported usage (interrupted streams, providers that send none, errors). */
  usage_missing: number;
}

const j = (path: string) => `json_extract(body, '$.data.${path}')`;
const KEY: Record<UsageGroup, string> = {
  agent: `COALESCE(CAST(${j('entry_id')} AS TEXT), 'unlisted')`,
  provider: `COALESCE(${j('provider')}, 'unknown')`,
  model: `COALESCE(${j('model')}, 'unknown')`,
  day: 'substr(ts, 1, 10)',
};

/** Usage since `sinceIso` (inclusive), grouped by `by`, largest cost first. */
export async function usageReport(db: Db, by: UsageGroup, sinceIso: string): Promise<UsageLine[]> {
  const rows = await db.all<Record<string, string | number | null>>(
    `SELECT ${KEY[by]} AS key, COUNT(*) AS requests,
       TOTAL(${j('tokens.input')}) AS input, TOTAL(${j('tokens.output')}) AS output, TOTAL(${j('tokens.cache_read')}) AS cache_read,
       TOTAL(${j('tokens.cache_write')}) AS cache_write, TOTAL(${j('tokens.reasoning')}) AS reasoning,
       TOTAL(${j('cost_micro_usd')}) AS cost, SUM(${j('cost_micro_usd')} IS NULL) AS unpriced,
       SUM(COALESCE(${j('usage_source')}, 'missing') = 'missing') AS usage_missing,
       MAX(seq) AS last_seq
     FROM events WHERE type = 'proxy.request' AND ts >= ? GROUP BY key ORDER BY cost DESC, requests DESC`,
    [sinceIso],
  );
  return Promise.all(rows.map(async (r) => ({
    key: String(r.key),
    agent: by === 'agent' ? await agentOf(db, Number(r.last_seq)) : null,
    requests: Number(r.requests),
    tokens: { input: Number(r.input), output: Number(r.output), cache_read: Number(r.cache_read), cache_write: Number(r.cache_write), reasoning: Number(r.reasoning) },
    cost_micro_usd: Number(r.cost),
    unpriced: Number(r.unpriced),
    usage_missing: Number(r.usage_missing),
  })));
}

async function agentOf(db: Db, seq: number): Promise<UsageLine['agent']> {
  const row = await db.get<Record<string, string | number | null>>(
    `SELECT ${j('entry_id')} AS entry_id, ${j('agent')} AS name, ${j('exe')} AS exe, ${j('script')} AS script, ${j('uid')} AS uid FROM events WHERE seq = ?`,
    [seq],
  );
  if (!row) return null;
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return { entry_id: num(row.entry_id), name: str(row.name), exe: str(row.exe), script: str(row.script), uid: num(row.uid) };
}
