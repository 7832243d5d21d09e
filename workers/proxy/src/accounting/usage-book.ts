// What each completed exchange spent: priced, counted in today's totals (/health) and the per-identity metrics.
import type { UsageLine } from '@raypher/shared/db';
import type { ProxyMetrics } from '../metrics.js';
import type { PriceTable } from './prices.js';
import { TOKEN_KINDS, type TokenCounts, type UsageRecord } from './types.js';

export interface UsageToday extends Required<TokenCounts> {
  /** UTC day the totals are for (YYYY-MM-DD); they start again at midnight UTC. */
  date: string;
  requests: number;
  cost_micro_usd: number;
  unpriced: number;
}

export class UsageBook {
  private totals: UsageToday = empty(today());

  constructor(private readonly prices: () => PriceTable, private readonly metrics: ProxyMetrics) {}

  /**
   * Prices one exchange and counts it. `identity`: the allow-list entry's name, or `entry-<id>` (bounded by the
   * allow list). The model label is the price table's name for it, else `other`, so label values stay bounded.
   */
  record(identity: string, provider: string, status: number, r: UsageRecord): number | null {
    const table = this.prices();
    const cost = table.cost(provider, r.model, r.tokens);
    const priced = table.find(provider, r.model);
    const model = priced ? priced.model.replace(/\*$/, '') : 'other';
    this.metrics.requests.inc({ identity, provider, status: String(status) });
    for (const kind of TOKEN_KINDS) {
      const n = r.tokens[kind];
      if (n) this.metrics.tokens.inc({ identity, provider, model, kind }, n);
    }
    const t = this.current();
    t.requests++;
    for (const kind of TOKEN_KINDS) t[kind] += r.tokens[kind] ?? 0;
    if (cost === null) t.unpriced++;
    else t.cost_micro_usd += cost;
    return cost;
  }

  /**
   * Starts today's totals from the day's audit rows (`raypherctl usage --by day`'s line for today), so a restarted
   * or swapped proxy keeps counting where the last one stopped. The per-identity counters start at 0, as counters do.
   */
  seed(lines: readonly UsageLine[]): void {
    const t = this.current();
    const line = lines.find((l) => l.key === t.date);
    if (!line) return;
    this.totals = { date: t.date, requests: line.requests, ...line.tokens, cost_micro_usd: line.cost_micro_usd, unpriced: line.unpriced };
  }

  /** The UTC midnight that starts today's totals (ISO), for the seed's query. */
  static midnight(): string {
    return `${today()}T00:00:00.000Z`;
  }

  today(): UsageToday {
    return { ...this.current() };
  }

  private current(): UsageToday {
    const day = today();
    if (this.totals.date !== day) this.totals = empty(day);
    return this.totals;
  }
}

const today = () => new Date().toISOString().slice(0, 10);
const empty = (date: string): UsageToday => ({ date, requests: 0, input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0, cost_micro_usd: 0, unpriced: 0 });
