// The prices Raypher ships: micro-USD per million tokens, by provider and model, as the providers published them.
// Replaceable from config ([usage] price_file). A model missing here is reported as unpriced, never guessed.
import type { PriceEntry } from './prices.js';

/** The date these prices were read off the providers' pricing pages; check them before relying on a report. */
export const PRICES_AS_OF = '2025-10-01';

const usd = (dollars: number) => Math.round(dollars * 1_000_000);

/** `model` matches the provider's reported model exactly, or as a prefix when it ends with `*` (dated snapshots). */
export const SHIPPED_PRICES: readonly PriceEntry[] = [
  { provider: 'openai', model: 'gpt-4.1-mini*', effective: PRICES_AS_OF, input: usd(0.4), cache_read: usd(0.1), output: usd(1.6) },
  { provider: 'openai', model: 'gpt-4.1-nano*', effective: PRICES_AS_OF, input: usd(0.1), cache_read: usd(0.025), output: usd(0.4) },
  { provider: 'openai', model: 'gpt-4.1*', effective: PRICES_AS_OF, input: usd(2), cache_read: usd(0.5), output: usd(8) },
  { provider: 'openai', model: 'gpt-4o-mini*', effective: PRICES_AS_OF, input: usd(0.15), cache_read: usd(0.075), output: usd(0.6) },
  { provider: 'openai', model: 'gpt-4o*', effective: PRICES_AS_OF, input: usd(2.5), cache_read: usd(1.25), output: usd(10) },
  { provider: 'openai', model: 'gpt-5-mini*', effective: PRICES_AS_OF, input: usd(0.25), cache_read: usd(0.025), output: usd(2) },
  { provider: 'openai', model: 'gpt-5-nano*', effective: PRICES_AS_OF, input: usd(0.05), cache_read: usd(0.005), output: usd(0.4) },
  { provider: 'openai', model: 'gpt-5*', effective: PRICES_AS_OF, input: usd(1.25), cache_read: usd(0.125), output: usd(10) },
  { provider: 'openai', model: 'o4-mini*', effective: PRICES_AS_OF, input: usd(1.1), cache_read: usd(0.275), output: usd(4.4) },
  { provider: 'openai', model: 'o3*', effective: PRICES_AS_OF, input: usd(2), cache_read: usd(0.5), output: usd(8) },
  { provider: 'openai', model: 'text-embedding-3-small', effective: PRICES_AS_OF, input: usd(0.02), output: 0 },
  { provider: 'openai', model: 'text-embedding-3-large', effective: PRICES_AS_OF, input: usd(0.13), output: 0 },
  { provider: 'anthropic', model: 'claude-opus-4*', effective: PRICES_AS_OF, input: usd(15), cache_write: usd(18.75), cache_read: usd(1.5), output: usd(75) },
  { provider: 'anthropic', model: 'claude-sonnet-4*', effective: PRICES_AS_OF, input: usd(3), cache_write: usd(3.75), cache_read: usd(0.3), output: usd(15) },
  { provider: 'anthropic', model: 'claude-haiku-4-5*', effective: PRICES_AS_OF, input: usd(1), cache_write: usd(1.25), cache_read: usd(0.1), output: usd(5) },
  { provider: 'anthropic', model: 'claude-3-5-haiku*', effective: PRICES_AS_OF, input: usd(0.8), cache_write: usd(1), cache_read: usd(0.08), output: usd(4) },
  { provider: 'gemini', model: 'gemini-2.5-pro*', effective: PRICES_AS_OF, input: usd(1.25), cache_read: usd(0.31), output: usd(10) },
  { provider: 'gemini', model: 'gemini-2.5-flash-lite*', effective: PRICES_AS_OF, input: usd(0.1), cache_read: usd(0.025), output: usd(0.4) },
  { provider: 'gemini', model: 'gemini-2.5-flash*', effective: PRICES_AS_OF, input: usd(0.3), cache_read: usd(0.075), output: usd(2.5) },
  { provider: 'gemini', model: 'gemini-2.0-flash*', effective: PRICES_AS_OF, input: usd(0.1), cache_read: usd(0.025), output: usd(0.4) },
];
