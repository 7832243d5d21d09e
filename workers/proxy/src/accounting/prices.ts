// What a response cost, from its token counts and the price table. Unpriced stays unpriced: no guessing.
import type { TokenCounts } from './types.js';

/** Micro-USD per million tokens. A cache kind with no price of its own is charged as input. */
export interface PriceEntry {
  provider: string;
  /** Exact model name, or a prefix ending in `*`. */
  model: string;
  /** The date from which this price holds (YYYY-MM-DD). */
  effective: string;
  input: number;
  output: number;
  cache_read?: number;
  cache_write?: number;
}

export class PriceTable {
  /** Longest pattern first, so `gpt-4o-mini*` wins over `gpt-4o*`. */
  private readonly entries: readonly PriceEntry[];
  /** The newest effective date in the table (YYYY-MM-DD), or null for an empty one: reports show it. */
  readonly asOf: string | null;

  constructor(entries: readonly PriceEntry[]) {
    this.entries = [...entries].sort((a, b) => b.model.length - a.model.length);
    this.asOf = entries.reduce<string | null>((max, e) => (max === null || e.effective > max ? e.effective : max), null);
  }

  find(provider: string, model: string | null): PriceEntry | null {
    if (model === null) return null;
    return this.entries.find((e) => e.provider === provider && (e.model.endsWith('*') ? model.startsWith(e.model.slice(0, -1)) : model === e.model)) ?? null;
  }

  /** Whether the table names this model (for bounded metric labels). */
  knows(provider: string, model: string | null): boolean {
    return this.find(provider, model) !== null;
  }

  /** Estimated cost in micro-USD, or null when the model is not in the table or no token count was reported. */
  cost(provider: string, model: string | null, t: TokenCounts): number | null {
    const p = this.find(provider, model);
    if (!p || (t.input === undefined && t.output === undefined)) return null;
    const cacheRead = t.cache_read ?? 0;
    const cacheWrite = t.cache_write ?? 0;
    const plainInput = Math.max(0, (t.input ?? 0) - cacheRead - cacheWrite);
    const perMillion = plainInput * p.input + cacheRead * (p.cache_read ?? p.input) + cacheWrite * (p.cache_write ?? p.input) + (t.output ?? 0) * p.output;
    return Math.round(perMillion / 1_000_000);
  }
}
