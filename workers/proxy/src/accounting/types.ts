// What one response tells of its token use, in one vocabulary for every provider (docs/usage.md).

/**
 * Token counts by kind. `input` is every prompt token, cached ones included; `cache_read` and `cache_write` are the
 * parts of it read from and written to the provider's prompt cache. `output` is every generated token, reasoning
 * included; `reasoning` is that part. A kind the provider did not report is absent.
 */
export interface TokenCounts {
  input?: number;
  output?: number;
  cache_read?: number;
  cache_write?: number;
  reasoning?: number;
}

export const TOKEN_KINDS = ['input', 'output', 'cache_read', 'cache_write', 'reasoning'] as const satisfies ReadonlyArray<keyof TokenCounts>;

/**
 * reported: the provider's final usage was read; injected: it was read from the usage chunk Raypher asked for (and
 * removed from the client's stream); missing: none, or only a partial count (an interrupted stream).
 */
export type UsageSource = 'reported' | 'injected' | 'missing';

export interface UsageRecord {
  tokens: TokenCounts;
  /** The model the provider says it used, else null. */
  model: string | null;
  usage_source: UsageSource;
}

/** What one JSON document (a body or one SSE event) says; `final` when it carries the response's last word on usage. */
export interface UsageReading {
  tokens?: TokenCounts;
  /** Anthropic's input_tokens, which leaves out the cache: `input` = this + cache_read + cache_write. */
  uncached?: number;
  model?: string;
  final: boolean;
}
