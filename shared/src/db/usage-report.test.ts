import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLedger, openRaypherDb, usageReport, type Db } from './index.js';

describe('usageReport', () => {
  let dir: string;
  let db: Db;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'raypher-usage-'));
    db = await openRaypherDb(join(dir, 'raypher.db'));
    const ledger = new AuditLedger(db, 'proxy');
    const agent = { entry_id: 1, agent: 'coder', exe: '/usr/bin/node', script: '/srv/agent.mjs', uid: 1000 };
    await ledger.appendMany([
      { type: 'proxy.request', data: { ...agent, provider: 'openai', model: 'gpt-4o-mini', status: 200, tokens: { input: 100, output: 10, cache_read: 50 }, usage_source: 'reported', cost_micro_usd: 20 } },
      { type: 'proxy.request', data: { ...agent, provider: 'anthropic', model: 'claude-sonnet-4-5', status: 200, tokens: { input: 30, output: 5, cache_write: 20 }, usage_source: 'reported', cost_micro_usd: 200 } },
      { type: 'proxy.request', data: { ...agent, provider: 'openai', model: 'my-finetune', status: 200, tokens: { input: 7, output: 3 }, usage_source: 'reported', cost_micro_usd: null } },
      { type: 'proxy.request', data: { entry_id: 2, agent: null, exe: '/usr/bin/python3', script: '/srv/bot.py', uid: 1001, provider: 'openai', model: null, status: 502, tokens: {}, usage_source: 'missing', cost_micro_usd: null } },
      { type: 'proxy.denied', data: { reason: 'not_listed', provider: 'openai' } },
    ]);
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sums tokens, cost, unpriced and missing per agent, with what the agent is', async () => {
    const lines = await usageReport(db, 'agent', '1970-01-01T00:00:00Z');
    expect(lines).toEqual([
      {
        key: '1',
        agent: { entry_id: 1, name: 'coder', exe: '/usr/bin/node', script: '/srv/agent.mjs', uid: 1000 },
        requests: 3,
        tokens: { input: 137, output: 18, cache_read: 50, cache_write: 20, reasoning: 0 },
        cost_micro_usd: 220,
        unpriced: 1,
        usage_missing: 0,
      },
      { key: '2', agent: { entry_id: 2, name: null, exe: '/usr/bin/python3', script: '/srv/bot.py', uid: 1001 }, requests: 1, tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0 }, cost_micro_usd: 0, unpriced: 1, usage_missing: 1 },
    ]);
  });

  it('groups by provider, model and day; denials are not usage', async () => {
    expect((await usageReport(db, 'provider', '1970-01-01T00:00:00Z')).map((l) => [l.key, l.requests])).toEqual([['anthropic', 1], ['openai', 3]]);
    expect((await usageReport(db, 'model', '1970-01-01T00:00:00Z')).map((l) => l.key).sort()).toEqual(['claude-sonnet-4-5', 'gpt-4o-mini', 'my-finetune', 'unknown']);
    const [day] = await usageReport(db, 'day', '1970-01-01T00:00:00Z');
    expect(day).toMatchObject({ key: new Date().toISOString().slice(0, 10), requests: 4 });
  });

  it('counts only rows since the given time', async () => {
    expect(await usageReport(db, 'agent', '2999-01-01T00:00:00Z')).toEqual([]);
  });
});
