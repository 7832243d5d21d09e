import { loadPriceTable } from './price-file.js';

const table = loadPriceTable('');

describe('PriceTable', () => {
  it('prices an OpenAI chat completion with cached input at the cached rate', () => {
    // gpt-4o-mini: 0.15 $/M input, 0.075 $/M cached, 0.60 $/M output.
    const cost = table.cost('openai', 'gpt-4o-mini-2024-07-18', { input: 1117, cache_read: 1024, output: 46 });
    expect(cost).toBe(Math.round((93 * 150_000 + 1024 * 75_000 + 46 * 600_000) / 1_000_000));
  });

  it('prices Anthropic cache writes and reads at their own rates', () => {
    const cost = table.cost('anthropic', 'claude-sonnet-4-5-20250929', { input: 3097, cache_read: 2048, cache_write: 1024, output: 15 });
    expect(cost).toBe(Math.round((25 * 3_000_000 + 2048 * 300_000 + 1024 * 3_750_000 + 15 * 15_000_000) / 1_000_000));
  });

  it('says the newest effective date it holds', () => {
    expect(table.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('takes the longest matching pattern', () => {
    expect(table.find('openai', 'gpt-4o-mini-2024-07-18')?.model).toBe('gpt-4o-mini*');
    expect(table.find('openai', 'gpt-4o-2024-08-06')?.model).toBe('gpt-4o*');
  });

  it('never guesses: an unknown model, another provider\'s model, or no counts is unpriced', () => {
    expect(table.cost('openai', 'my-finetune', { input: 10, output: 10 })).toBeNull();
    expect(table.cost('groq', 'gpt-4o-mini', { input: 10, output: 10 })).toBeNull();
    expect(table.cost('openai', null, { input: 10, output: 10 })).toBeNull();
    expect(table.cost('openai', 'gpt-4o-mini', {})).toBeNull();
  });
});
