import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPriceTable } from './price-file.js';

const file = (text: string) => {
  const f = join(mkdtempSync(join(tmpdir(), 'raypher-prices-')), 'prices.json');
  writeFileSync(f, text);
  return f;
};

describe('loadPriceTable', () => {
  it('empty: the shipped table', () => {
    expect(loadPriceTable('').find('openai', 'gpt-4o-mini-2024-07-18')).not.toBeNull();
  });

  it('a file replaces the shipped table whole', () => {
    const t = loadPriceTable(file(JSON.stringify({ prices: [{ provider: 'groq', model: 'llama-3.3-70b*', effective: '2026-11-01', input: 590_000, output: 790_000 }] })));
    expect(t.cost('groq', 'llama-3.3-70b-versatile', { input: 1_000_000, output: 1_000_000 })).toBe(1_380_000);
    expect(t.find('openai', 'gpt-4o-mini')).toBeNull();
    expect(t.asOf).toBe('2026-11-01');
  });

  it.each([
    ['not JSON', 'prices: []', /not a valid price table/],
    ['a negative price', JSON.stringify({ prices: [{ provider: 'openai', model: 'x', effective: '2026-11-01', input: -1, output: 1 }] }), /not a valid price table/],
    ['an unknown field', JSON.stringify({ prices: [{ provider: 'openai', model: 'x', effective: '2026-11-01', input: 1, output: 1, guess: true }] }), /not a valid price table/],
  ])('refuses %s with ERR_CONFIG_INVALID naming the file', (_what, text, message) => {
    const f = file(text);
    expect(() => loadPriceTable(f)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID', message: expect.stringMatching(message) }));
    expect(() => loadPriceTable(f)).toThrow(f);
  });

  it('a missing file says which', () => {
    expect(() => loadPriceTable('/nonexistent/prices.json')).toThrow(/\/nonexistent\/prices.json cannot be read \(ENOENT\)/);
  });
});
