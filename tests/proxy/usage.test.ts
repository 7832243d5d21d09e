// Usage that matches the provider's bill (issue 16): a known mix of real-shaped provider answers through the proxy;
// the audit rows, `raypherctl usage` and /metrics must agree, and an injected include_usage never shows to the client.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditEvents, ctl, run as runProcess, waitFor } from '../helpers/daemon.js';
import { canary, filesContaining, seal } from '../vault/helpers.js';
import { allow, NODE, script, startProxy, upstreamPerTest } from './harness.js';
import type { Upstream } from './upstream.js';

let upstream: Upstream;
upstreamPerTest((u) => (upstream = u));

/** The mix: each request's name, path and body; the agent prints what it got for each. */
const MIX = [
  ['chat', '/v1/chat/completions', { model: 'gpt-test', messages: [] }],
  ['chat-stream', '/v1/chat/completions', { model: 'gpt-test', messages: [], stream: true }],
  ['chat-stream-asked', '/v1/chat/completions', { model: 'gpt-test', messages: [], stream: true, stream_options: { include_usage: true } }],
  ['openai-chat', '/v1/fixture/openai-chat.json', {}],
  ['responses-stream', '/v1/fixture/openai-responses-stream.sse', {}],
  ['embeddings', '/v1/fixture/openai-embeddings.json', {}],
  ['anthropic-stream', '/anthropic/v1/fixture/anthropic-stream.sse', {}],
  ['anthropic-message', '/anthropic/v1/fixture/anthropic-message.json', {}],
  ['gemini', '/gemini/v1beta/fixture/gemini.json', {}],
  ['gemini-stream', '/gemini/v1beta/fixture/gemini-stream.sse', {}],
] as const;

const AGENT = `
const [base, mix] = process.argv.slice(2);
const out = {};
for (const [name, path, body] of JSON.parse(mix)) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dummy' }, body: JSON.stringify(body) });
  out[name] = { status: r.status, body: await r.text() };
}
console.log(JSON.stringify(out));
`;

type Tokens = Record<'input' | 'output' | 'cache_read' | 'cache_write' | 'reasoning', number>;
const KINDS = ['input', 'output', 'cache_read', 'cache_write', 'reasoning'] as const;

describe('usage accounting end to end', () => {
  it('audit rows, raypherctl usage and /metrics agree on a known mix; the injected usage chunk never reaches the client', async () => {
    const { home, d, key, base } = await startProxy(upstream, { gemini_upstream: `${upstream.url}/gemini-api`, anthropic_upstream: `${upstream.url}/anthropic-api` });
    const anthropicKey = canary();
    const geminiKey = canary();
    expect((await seal(home, 'anthropic', anthropicKey)).code).toBe(0);
    expect((await seal(home, 'gemini', geminiKey)).code).toBe(0);
    const agent = script('mix.mjs', AGENT);
    expect((await allow(home, ['--exe-path', NODE, '--script', agent, '--name', 'mixer'])).code).toBe(0);

    const run = await runProcess(NODE, [agent, base, JSON.stringify(MIX)]);
    expect(run.code).toBe(0);
    const got = JSON.parse(run.stdout) as Record<string, { status: number; body: string }>;
    for (const [name] of MIX) expect([name, got[name]?.status]).toEqual([name, 200]);

    // The stream the client did not ask usage for: upstream was asked (include_usage), the client got the plain stream.
    const asked = upstream.seen.filter((s) => s.url === '/v1/chat/completions' && s.body.includes('"stream":true'));
    expect(asked.map((s) => JSON.parse(s.body).stream_options)).toEqual([{ include_usage: true }, { include_usage: true }]);
    const plain = got['chat-stream']?.body ?? '';
    expect(plain).not.toContain('usage');
    expect(plain.split('\n\n').filter((e) => e.startsWith('data: {')).length).toBe(4);
    expect(plain.endsWith('data: [DONE]\n\n')).toBe(true);
    // The client that asked gets its usage chunk and the null fields, as from the provider.
    expect(got['chat-stream-asked']?.body).toContain('"usage":null');
    expect(got['chat-stream-asked']?.body).toContain('"prompt_tokens":3');

    const rows = await waitFor(async () => {
      const r = await auditEvents(home, 'proxy.request');
      return r.length >= MIX.length ? r : undefined;
    }, 10_000, 'proxy.request rows');
    expect(rows).toHaveLength(MIX.length);
    const byPath = (p: string) => rows.filter((r) => r.data.path === p).map((r) => r.data);
    expect(byPath('/v1/chat/completions').map((r) => r.usage_source).sort()).toEqual(['injected', 'reported', 'reported']);
    expect(byPath('/v1/fixture/openai-chat.json')[0]).toMatchObject({ model: 'gpt-4.1-2025-04-14', tokens: { input: 19, output: 10, cache_read: 0, reasoning: 0 }, usage_source: 'reported', cost_micro_usd: 118, entry_id: expect.any(Number), agent: 'mixer' });
    expect(byPath('/anthropic/v1/fixture/anthropic-stream.sse')[0]).toMatchObject({ model: 'claude-sonnet-4-5-20250929', tokens: { input: 3097, output: 15, cache_read: 2048, cache_write: 1024 }, usage_source: 'reported' });
    expect(byPath('/gemini/v1beta/fixture/gemini.json')[0]).toMatchObject({ model: 'gemini-2.5-flash', tokens: { input: 8, output: 1031, reasoning: 1019, cache_read: 4 } });
    expect(byPath('/v1/fixture/openai-responses-stream.sse')[0]).toMatchObject({ tokens: { input: 37, output: 11 }, usage_source: 'reported' });

    // The sums the audit rows give, per kind, and the cost of the priced ones.
    const sum: Tokens = { input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0 };
    let cost = 0;
    for (const r of rows) {
      for (const k of KINDS) sum[k] += (r.data.tokens as Partial<Tokens>)[k] ?? 0;
      cost += (r.data.cost_micro_usd as number | null) ?? 0;
    }
    const unpriced = rows.filter((r) => r.data.cost_micro_usd === null).length;
    expect(unpriced).toBe(3); // gpt-test (three times): not in the price table, never guessed

    const report = await ctl(home, ['usage', '--by', 'agent', '--since', '1h', '--json']);
    expect(report.code).toBe(0);
    const [line, ...others] = JSON.parse(report.stdout).lines;
    expect(others).toEqual([]);
    expect(line).toMatchObject({ requests: MIX.length, tokens: sum, cost_micro_usd: cost, unpriced, usage_missing: 0, agent: { name: 'mixer', script: agent } });
    const byModel = JSON.parse((await ctl(home, ['usage', '--by', 'model', '--json'])).stdout).lines as Array<{ key: string; requests: number }>;
    expect(byModel.find((l) => l.key === 'gpt-test')?.requests).toBe(3);
    expect((await ctl(home, ['usage', '--since', 'yesterday'])).stderr).toContain('is not a duration');
    const text = await ctl(home, ['usage', '--by', 'provider']);
    expect(text.stdout).toMatch(/anthropic\s+2/);

    // /metrics: tokens per identity and kind add up to the rows; the model label is bounded (unpriced → other).
    const { healthAddress } = await d.status();
    const metrics = await (await fetch(`http://${healthAddress}/metrics`)).text();
    for (const k of KINDS) {
      const total = [...metrics.matchAll(new RegExp(`^raypher_proxy_tokens_total\\{([^}]*kind="${k}"[^}]*)\\} (\\d+)`, 'gm'))].reduce((n, m) => n + Number(m[2]), 0);
      expect([k, total]).toEqual([k, sum[k]]);
    }
    expect(metrics).toMatch(/raypher_proxy_tokens_total\{identity="mixer",provider="openai",model="other",kind="input"\} 9/);
    expect(metrics).toMatch(/raypher_proxy_requests_total\{identity="mixer",provider="anthropic",status="200"\} 2/);
    const health = (await (await fetch(`http://${healthAddress}/health`)).json()) as { proxy: { usage_today: Tokens & { requests: number } } };
    expect(health.proxy.usage_today).toMatchObject({ ...sum, requests: MIX.length, cost_micro_usd: cost, unpriced });
    // A proxy killed and restarted starts today's totals from the day's audit rows, not from 0.
    const proxyPid = (await d.status()).workers.find((w) => w.name === 'proxy')?.pid as number;
    process.kill(proxyPid, 'SIGKILL');
    await waitFor(async () => (await d.status()).workers.find((w) => w.name === 'proxy' && w.state === 'running' && w.pid !== proxyPid) || undefined, 20_000, 'proxy back');
    const after = (await (await fetch(`http://${healthAddress}/health`)).json()) as typeof health;
    expect(after.proxy.usage_today).toMatchObject({ ...sum, requests: MIX.length, cost_micro_usd: cost, unpriced });

    await d.stop();
    for (const k of [key, anthropicKey, geminiKey]) {
      expect(filesContaining(home, k)).toEqual([]);
      expect(d.stdout.includes(k) || d.stderr.includes(k) || report.stdout.includes(k)).toBe(false);
    }
  });

  it('a price file replaces the shipped table', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'raypher-prices-')), 'prices.json');
    writeFileSync(file, JSON.stringify({ prices: [{ provider: 'openai', model: 'gpt-test', effective: '2026-11-01', input: 1_000_000, output: 2_000_000 }] }));
    const { home, d, base } = await startProxy(upstream, { price_file: file });
    const agent = script('mix.mjs', AGENT);
    expect((await allow(home, ['--exe-path', NODE, '--script', agent])).code).toBe(0);
    const run = await runProcess(NODE, [agent, base, JSON.stringify([MIX[0]])]);
    expect(run.code).toBe(0);
    const [row] = await waitFor(async () => {
      const r = await auditEvents(home, 'proxy.request');
      return r.length > 0 ? r : undefined;
    }, 10_000, 'a proxy.request row');
    expect(row?.data.cost_micro_usd).toBe(3 * 1 + 2 * 2); // 3 input at $1/M, 2 output at $2/M, in micro-USD
    // Reports name the date of the table in force, not the shipped one's.
    expect((await ctl(home, ['usage'])).stdout).toContain('prices as of 2026-11-01');
    await d.stop();
    expect(readFileSync(file, 'utf8')).toContain('gpt-test');
  });
});
