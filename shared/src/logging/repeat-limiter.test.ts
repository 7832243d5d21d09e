import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeLogger, createLogger } from './index.js';
import { RepeatLimiter, repeatedSuffix } from './repeat-limiter.js';

describe('RepeatLimiter', () => {
  it('writes the first of a window, counts the rest and sums them up when the window ends', () => {
    let now = 0;
    const summaries: Array<[string, number]> = [];
    const l = new RepeatLimiter<string>({ windowMs: 1000, maxTracked: 10, now: () => now, onRepeated: (e, n) => summaries.push([e, n]) });
    expect(l.admit('a', 'A')).toBe(true);
    for (let i = 0; i < 5; i++) expect(l.admit('a', 'A')).toBe(false);
    expect(l.admit('b', 'B')).toBe(true);
    now = 999;
    l.flush();
    expect(summaries).toEqual([]);
    now = 1000;
    l.flush();
    expect(summaries).toEqual([['A', 5]]); // b was never repeated: no summary
    expect(l.admit('a', 'A')).toBe(true); // a new window
  });

  it('summarizes a window that ends on the next copy, and everything on a final flush', () => {
    let now = 0;
    const summaries: Array<[string, number]> = [];
    const l = new RepeatLimiter<string>({ windowMs: 100, maxTracked: 10, now: () => now, onRepeated: (e, n) => summaries.push([e, n]) });
    l.admit('a', 'A');
    l.admit('a', 'A');
    now = 150;
    expect(l.admit('a', 'A')).toBe(true);
    expect(summaries).toEqual([['A', 1]]);
    l.admit('a', 'A');
    l.flush(true);
    expect(summaries).toEqual([['A', 1], ['A', 1]]);
  });

  it('never drops a line because too many distinct lines are tracked', () => {
    const l = new RepeatLimiter<string>({ windowMs: 1000, maxTracked: 2, now: () => 0, onRepeated: () => undefined });
    expect(['a', 'b', 'c', 'd'].map((k) => l.admit(k, k))).toEqual([true, true, true, true]);
  });

  it('words the count like "(repeated 4,323 times)"', () => {
    expect(repeatedSuffix(4323)).toBe(' (repeated 4,323 times)');
    expect(repeatedSuffix(1)).toBe(' (repeated 1 time)');
  });
});

/** The rotating file transport writes after the logger finishes: wait for the lines to land. */
async function writtenLines(dir: string, count: number): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const file = readdirSync(dir).find((f) => f.startsWith('test-') && f.endsWith('.log'));
    const text = file ? readFileSync(join(dir, file), 'utf8') : '';
    const lines = text.split('\n').filter(Boolean);
    if (lines.length >= count || Date.now() > deadline) return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('createLogger repeat limiting', () => {
  it('writes 4,324 identical warnings as one line plus a summary, redacted, and leaves info lines alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raypher-log-'));
    try {
      const logger = createLogger({ process: 'test', dir, level: 'info', rotation: 'daily', retentionDays: 1, console: false });
      for (let i = 0; i < 4324; i++) logger.warn('bad frame on vault socket', { code: 'ERR_IPC_BAD_FRAME', token: 'sk-abcdefghijklmnopqrstuvwxyz' });
      logger.warn('bad frame on vault socket', { code: 'ERR_IPC_FRAME_TOO_LARGE' });
      logger.info('proxy.request', { status: 200 });
      logger.info('proxy.request', { status: 200 });
      await closeLogger(logger);
      const lines = await writtenLines(dir, 5);
      expect(lines.map((l) => [l.level, l.message, l.code ?? null])).toEqual([
        ['warn', 'bad frame on vault socket', 'ERR_IPC_BAD_FRAME'],
        ['warn', 'bad frame on vault socket', 'ERR_IPC_FRAME_TOO_LARGE'],
        ['info', 'proxy.request', null],
        ['info', 'proxy.request', null],
        ['warn', 'bad frame on vault socket (repeated 4,323 times)', 'ERR_IPC_BAD_FRAME'],
      ]);
      expect(lines[4]).toMatchObject({ repeated: 4323, token: '[REDACTED]', process: 'test' });
      expect(JSON.stringify(lines)).not.toContain('sk-abcdefghij');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
