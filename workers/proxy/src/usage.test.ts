import { UsageTail } from './usage.js';

describe('UsageTail', () => {
  it('reads OpenAI JSON usage', () => {
    const t = new UsageTail();
    t.push(Buffer.from('{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}'));
    expect(t.usage()).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
  });

  it('merges Anthropic stream usage across events and chunk boundaries', () => {
    const t = new UsageTail();
    const body = 'event: message_start\ndata: {"message":{"usage":{"input_tokens":7,"output_tokens":0}}}\n\nevent: message_delta\ndata: {"usage":{"output_tokens":4}}\n\n';
    for (let i = 0; i < body.length; i += 9) t.push(Buffer.from(body.slice(i, i + 9)));
    expect(t.usage()).toEqual({ input_tokens: 7, output_tokens: 4 });
  });

  it('returns null without usage', () => {
    const t = new UsageTail();
    t.push(Buffer.from('data: {"x":1}\n\n'));
    expect(t.usage()).toBeNull();
  });
});
