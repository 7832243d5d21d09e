// The meter reads the providers' real body shapes (tests/fixtures/provider-bodies), whatever the chunking.
import { readFileSync } from 'node:fs';
import { UsageMeter } from './meter.js';
import type { UsageRecord } from './types.js';

const fixture = (name: string) => readFileSync(new URL(`../../../../tests/fixtures/provider-bodies/${name}`, import.meta.url));
const SSE = 'text/event-stream; charset=utf-8';
const JSON_TYPE = 'application/json';

function meter(body: Buffer, contentType: string, chunkSize: number, complete = true): UsageRecord {
  const m = new UsageMeter(contentType);
  for (let i = 0; i < body.length; i += chunkSize) m.push(body.subarray(i, i + chunkSize));
  return m.result(complete);
}

const CASES: Array<[string, string, UsageRecord]> = [
  ['openai-chat.json', JSON_TYPE, { tokens: { input: 19, output: 10, cache_read: 0, reasoning: 0 }, model: 'gpt-4.1-2025-04-14', usage_source: 'reported' }],
  ['openai-chat-stream.sse', SSE, { tokens: { input: 1117, output: 46, cache_read: 1024, reasoning: 0 }, model: 'gpt-4o-mini-2024-07-18', usage_source: 'reported' }],
  ['openai-responses.json', JSON_TYPE, { tokens: { input: 36, output: 87, cache_read: 0, reasoning: 64 }, model: 'o4-mini-2025-04-16', usage_source: 'reported' }],
  ['openai-responses-stream.sse', SSE, { tokens: { input: 37, output: 11, cache_read: 0, reasoning: 0 }, model: 'gpt-4.1-2025-04-14', usage_source: 'reported' }],
  ['openai-embeddings.json', JSON_TYPE, { tokens: { input: 8 }, model: 'text-embedding-3-small', usage_source: 'reported' }],
  // Anthropic's input_tokens excludes the cache: input is the sum of the three.
  ['anthropic-message.json', JSON_TYPE, { tokens: { input: 21 + 188086, output: 393, cache_read: 0, cache_write: 188086 }, model: 'claude-sonnet-4-5-20250929', usage_source: 'reported' }],
  ['anthropic-stream.sse', SSE, { tokens: { input: 25 + 1024 + 2048, output: 15, cache_read: 2048, cache_write: 1024 }, model: 'claude-sonnet-4-5-20250929', usage_source: 'reported' }],
  // Gemini bills thinking as output: output = candidates + thoughts.
  ['gemini.json', JSON_TYPE, { tokens: { input: 8, output: 12 + 1019, cache_read: 4, reasoning: 1019 }, model: 'gemini-2.5-flash', usage_source: 'reported' }],
  ['gemini-stream.sse', SSE, { tokens: { input: 10, output: 10 }, model: 'gemini-2.0-flash', usage_source: 'reported' }],
];

describe('UsageMeter on real provider shapes', () => {
  it.each(CASES)('%s', (name, type, expected) => {
    const body = fixture(name);
    for (const size of [body.length, 1, 7, 64]) expect(meter(body, type, size)).toEqual(expected);
  });

  it('keeps an Anthropic stream\'s input tokens past 64 KiB of deltas (they come first)', () => {
    const [start, ...rest] = fixture('anthropic-stream.sse').toString().split('event: content_block_delta');
    const delta = `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${'x'.repeat(200)}"}}\n\n`;
    const body = Buffer.from(start + delta.repeat(600) + 'event: content_block_delta' + rest.join('event: content_block_delta'));
    expect(body.length).toBeGreaterThan(100 * 1024);
    expect(meter(body, SSE, 4096).tokens).toEqual({ input: 3097, output: 15, cache_read: 2048, cache_write: 1024 });
  });

  it.each([
    // The Anthropic SDK's MessageDeltaUsage: running totals, any of the input parts may be null.
    ['input and cache parts null', '{"input_tokens":null,"cache_creation_input_tokens":null,"cache_read_input_tokens":null,"output_tokens":15}', { input: 3097, output: 15, cache_read: 2048, cache_write: 1024 }],
    ['input repeated, cache parts null', '{"input_tokens":25,"cache_creation_input_tokens":null,"cache_read_input_tokens":null,"output_tokens":15}', { input: 3097, output: 15, cache_read: 2048, cache_write: 1024 }],
    ['every part repeated', '{"input_tokens":25,"cache_creation_input_tokens":1024,"cache_read_input_tokens":2048,"output_tokens":15,"server_tool_use":{"web_search_requests":0}}', { input: 3097, output: 15, cache_read: 2048, cache_write: 1024 }],
  ])('an Anthropic message_delta with running totals (%s) replaces each part alone, never the input sum', (_name, usage, tokens) => {
    const body = fixture('anthropic-stream.sse').toString().replace('"usage":{"output_tokens":15}', `"usage":${usage}`);
    expect(body).toContain(usage);
    for (const size of [body.length, 1, 64]) expect(meter(Buffer.from(body), SSE, size).tokens).toEqual(tokens);
  });

  it('a stream cut mid-way is missing, with the part it did see', () => {
    const body = fixture('anthropic-stream.sse').toString();
    const cut = Buffer.from(body.slice(0, body.indexOf('event: message_delta')));
    expect(meter(cut, SSE, 100, false)).toEqual({ tokens: { input: 3097, output: 1, cache_read: 2048, cache_write: 1024 }, model: 'claude-sonnet-4-5-20250929', usage_source: 'missing' });
    // Even with every byte, a body that did not end normally is never 'reported'.
    expect(meter(fixture('openai-chat-stream.sse'), SSE, 100, false).usage_source).toBe('missing');
  });

  it('an OpenAI stream without the usage chunk is missing, with the model', () => {
    const body = fixture('openai-chat-stream.sse').toString().split('\n\n').filter((e) => !e.includes('"prompt_tokens"')).join('\n\n');
    expect(meter(Buffer.from(body), SSE, 50)).toEqual({ tokens: {}, model: 'gpt-4o-mini-2024-07-18', usage_source: 'missing' });
  });

  it('reads the usage at the end of a JSON body too large to parse whole', () => {
    const vector = `[${Array.from({ length: 1536 }, (_, i) => (i / 7919).toFixed(9)).join(',')}]`;
    const data = Array.from({ length: 700 }, (_, i) => `{"object":"embedding","index":${i},"embedding":${vector}}`).join(',');
    const body = Buffer.from(`{"object":"list","data":[${data}],"model":"text-embedding-3-small","usage":{"prompt_tokens":5600,"total_tokens":5600}}`);
    expect(body.length).toBeGreaterThan(8 * 1024 * 1024);
    expect(meter(body, JSON_TYPE, 65536)).toEqual({ tokens: { input: 5600 }, model: 'text-embedding-3-small', usage_source: 'reported' });
    // Gemini's usageMetadata and modelVersion follow its candidates: a 9 MiB answer keeps both.
    const gemini = fixture('gemini.json').toString().replace('AI learns patterns', 'x'.repeat(9 * 1024 * 1024));
    expect(meter(Buffer.from(gemini), JSON_TYPE, 65536)).toEqual({ tokens: { input: 8, output: 1031, cache_read: 4, reasoning: 1019 }, model: 'gemini-2.5-flash', usage_source: 'reported' });
  });

  it('ignores what is not a count: negative, fractional, strings, a line over 1 MiB, broken JSON', () => {
    const lines = [
      `data: {"type":"message_delta","usage":{"output_tokens":"${'9'.repeat(2 * 1024 * 1024)}"}}`,
      'data: {"type":"message_delta","usage":{"output_tokens":-5}}',
      'data: {"type":"message_delta","usage":{"output_tokens":1.5}}',
      'data: {"usage": {',
      'data: {"type":"message_delta","usage":{"output_tokens":"12"}}',
    ];
    expect(meter(Buffer.from(lines.join('\n\n') + '\n\n'), SSE, 1000).tokens).toEqual({});
  });

  it('a body with no usage says so', () => {
    expect(meter(Buffer.from('{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}'), JSON_TYPE, 10)).toEqual({ tokens: {}, model: null, usage_source: 'missing' });
  });
});
