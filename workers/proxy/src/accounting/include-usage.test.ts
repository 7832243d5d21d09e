import { readFileSync } from 'node:fs';
import { askForUsage, InjectedUsageStripper } from './include-usage.js';
import { UsageMeter } from './meter.js';

const withUsage = readFileSync(new URL('../../../../tests/fixtures/provider-bodies/openai-chat-stream.sse', import.meta.url), 'utf8');
/** The same stream as the API sends it to a client that did not ask for usage. */
const plain = withUsage
  .split('\n\n')
  .filter((e) => !e.includes('"prompt_tokens"'))
  .map((e) => e.replace(',"usage":null', ''))
  .join('\n\n');

/** Runs the body through the stripper (and the meter, on the upstream's bytes, as the proxy does). */
function strip(body: string, size: number): { out: string; meter: UsageMeter } {
  const s = new InjectedUsageStripper();
  const meter = new UsageMeter('text/event-stream', true);
  const parts: Buffer[] = [];
  const b = Buffer.from(body);
  for (let i = 0; i < b.length; i += size) {
    meter.push(b.subarray(i, i + size));
    parts.push(s.push(b.subarray(i, i + size)));
  }
  parts.push(s.flush());
  return { out: Buffer.concat(parts).toString(), meter };
}

describe('include_usage injection', () => {
  it('asks only for a stream whose client did not choose', () => {
    expect(JSON.parse(String(askForUsage(Buffer.from('{"model":"gpt-4o-mini","stream":true,"messages":[]}'))))).toEqual({ model: 'gpt-4o-mini', stream: true, messages: [], stream_options: { include_usage: true } });
    expect(askForUsage(Buffer.from('{"stream":true,"stream_options":{"include_usage":false}}'))).toBeNull();
    expect(askForUsage(Buffer.from('{"stream":true,"stream_options":{"include_usage":true}}'))).toBeNull();
    expect(askForUsage(Buffer.from('{"stream":false}'))).toBeNull();
    expect(askForUsage(Buffer.from('not json'))).toBeNull();
  });

  it('adds the member to the client\'s own text: numbers past 2^53, key order and spacing go upstream as written', () => {
    const body = '{ "model": "gpt-4o-mini", "seed": 12345678901234567890, "stream": true,\n  "messages": [] }\n';
    expect(String(askForUsage(Buffer.from(body)))).toBe('{ "model": "gpt-4o-mini", "seed": 12345678901234567890, "stream": true,\n  "messages": [] ,"stream_options":{"include_usage":true}}\n');
    // A stream_options object (or null) the client sent without include_usage gets the member in place, bytes kept.
    expect(String(askForUsage(Buffer.from('{"seed":9007199254740993,"stream":true,"stream_options":{"x":1}}')))).toBe('{"seed":9007199254740993,"stream":true,"stream_options":{"include_usage":true,"x":1}}');
    expect(String(askForUsage(Buffer.from('{"stream":true,"stream_options": { } ,"n":1e400}')))).toBe('{"stream":true,"stream_options": {"include_usage":true } ,"n":1e400}');
    expect(String(askForUsage(Buffer.from('{"stream_options":null,"stream":true,"text":"héllo \\"stream_options\\""}')))).toBe('{"stream_options":{"include_usage":true},"stream":true,"text":"héllo \\"stream_options\\""}');
    // Non-ASCII bytes around the insert are kept as they were.
    const utf8 = Buffer.concat([Buffer.from('{"m":"'), Buffer.from([0xe2, 0x82, 0xac]), Buffer.from('","stream":true,"stream_options":{}}')]);
    expect(askForUsage(utf8)?.equals(Buffer.concat([Buffer.from('{"m":"'), Buffer.from([0xe2, 0x82, 0xac]), Buffer.from('","stream":true,"stream_options":{"include_usage":true}}')]))).toBe(true);
    // An escaped key is not shown plainly: the body is rewritten whole, and still asks.
    expect(JSON.parse(String(askForUsage(Buffer.from('{"stream":true,"stream\\u005foptions":{"x":1}}')))).stream_options).toEqual({ x: 1, include_usage: true });
  });

  it.each([1, 5, 64, 100_000])('gives the client the exact bytes it would have got (chunks of %i)', (size) => {
    const { out } = strip(withUsage, size);
    expect(out).toBe(plain);
  });

  it('the dropped usage chunk still reaches the meter, as injected', () => {
    expect(strip(withUsage, 17).meter.result(true)).toMatchObject({ tokens: { input: 1117, output: 46, cache_read: 1024 }, usage_source: 'injected' });
  });

  it('cuts "usage":null wherever it stands, and leaves nested or quoted ones', () => {
    const { out } = strip('data: {"usage":null,"id":"a","choices":[{"delta":{"content":"\\"usage\\":null"},"usage":null}]}\n\n', 3);
    expect(out).toBe('data: {"id":"a","choices":[{"delta":{"content":"\\"usage\\":null"},"usage":null}]}\n\n');
  });

  it('passes other events and comments through untouched', () => {
    const body = ': keep-alive\n\nevent: x\ndata: {"a":1}\n\ndata: [DONE]\n\n';
    expect(strip(body, 4).out).toBe(body);
  });
});
