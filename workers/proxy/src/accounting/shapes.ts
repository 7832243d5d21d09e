// Reads usage from one parsed JSON document by the shape each provider API gives it: OpenAI chat completions,
// the Responses API and embeddings, Anthropic messages (plain and each stream event), Gemini's usageMetadata.
import type { TokenCounts, UsageReading } from './types.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : undefined);

/** Drops kinds that were not reported, so an absent count never reads as 0. */
function counts(c: TokenCounts): TokenCounts {
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as TokenCounts;
}

/** OpenAI chat completions and embeddings: prompt_tokens (cached included), completion_tokens (reasoning included). */
function openAiChat(u: Json): TokenCounts {
  const inDetails = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const outDetails = isObject(u.completion_tokens_details) ? u.completion_tokens_details : {};
  return counts({ input: count(u.prompt_tokens), output: count(u.completion_tokens), cache_read: count(inDetails.cached_tokens), reasoning: count(outDetails.reasoning_tokens) });
}

/** OpenAI Responses API: input_tokens (cached included), output_tokens (reasoning included), *_details. */
function openAiResponses(u: Json): TokenCounts {
  const inDetails = isObject(u.input_tokens_details) ? u.input_tokens_details : {};
  const outDetails = isObject(u.output_tokens_details) ? u.output_tokens_details : {};
  return counts({ input: count(u.input_tokens), output: count(u.output_tokens), cache_read: count(inDetails.cached_tokens), reasoning: count(outDetails.reasoning_tokens) });
}

/**
 * Anthropic: input_tokens excludes the cache; cache reads and writes are counted beside it. The parts are kept
 * apart (`uncached`) and input is their sum once the response is read (meter.ts): a message_delta carries running
 * totals in which any part may be null, so a later event must replace each part alone, never the sum.
 */
function anthropic(u: Json): Pick<UsageReading, 'tokens' | 'uncached'> {
  return { tokens: counts({ output: count(u.output_tokens), cache_read: count(u.cache_read_input_tokens), cache_write: count(u.cache_creation_input_tokens) }), uncached: count(u.input_tokens) };
}

/** Gemini: candidatesTokenCount excludes thinking (thoughtsTokenCount), which is billed as output. */
function gemini(u: Json): TokenCounts {
  const candidates = count(u.candidatesTokenCount);
  const thoughts = count(u.thoughtsTokenCount);
  const output = candidates === undefined && thoughts === undefined ? undefined : (candidates ?? 0) + (thoughts ?? 0);
  return counts({ input: count(u.promptTokenCount), output, cache_read: count(u.cachedContentTokenCount), reasoning: thoughts });
}

/** The usage a document carries, or null when it says nothing about usage or the model. */
export function readUsage(doc: unknown): UsageReading | null {
  if (!isObject(doc)) return null;
  // Gemini: every streamed chunk repeats the running usageMetadata; the one with a finishReason is final.
  if (isObject(doc.usageMetadata)) {
    const candidates = Array.isArray(doc.candidates) ? doc.candidates : [];
    const final = candidates.some((c) => isObject(c) && typeof c.finishReason === 'string');
    return { tokens: gemini(doc.usageMetadata), model: text(doc.modelVersion), final };
  }
  // Anthropic stream: message_start carries the input side; message_delta the running output count (final).
  if (doc.type === 'message_start' && isObject(doc.message)) {
    const m = doc.message;
    return { ...(isObject(m.usage) ? anthropic(m.usage) : {}), model: text(m.model), final: false };
  }
  if (doc.type === 'message_delta') return isObject(doc.usage) ? { ...anthropic(doc.usage), final: true } : null;
  // OpenAI Responses stream: the terminal events carry the whole response object.
  if (typeof doc.type === 'string' && doc.type.startsWith('response.') && isObject(doc.response)) {
    const r = doc.response;
    const terminal = doc.type === 'response.completed' || doc.type === 'response.incomplete' || doc.type === 'response.failed';
    return { tokens: terminal && isObject(r.usage) ? openAiResponses(r.usage) : undefined, model: text(r.model), final: terminal && isObject(r.usage) };
  }
  const model = text(doc.model);
  if (!isObject(doc.usage)) return model === undefined ? null : { model, final: false };
  const u = doc.usage;
  if (doc.type === 'message') return { ...anthropic(u), model, final: true };
  if ('prompt_tokens' in u) return { tokens: openAiChat(u), model, final: true };
  if (doc.object === 'response' || 'input_tokens_details' in u || 'output_tokens_details' in u) return { tokens: openAiResponses(u), model, final: true };
  return { ...anthropic(u), model, final: true };
}
