// Model-name routing and an OpenAI-compatible [[proxy.providers]] entry (issue 16), through a real daemon: one base
// URL for every provider, the routed provider's own key, usage read and injected for it, and a request whose model
// belongs to another API refused rather than translated.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditEvents, ctl, Daemon, makeHome, run as runProcess, waitFor } from '../helpers/daemon.js';
import { canary, filesContaining, seal } from '../vault/helpers.js';
import { allow, NODE, script, upstreamPerTest } from './harness.js';
import type { Upstream } from './upstream.js';

let upstream: Upstream;
upstreamPerTest((u) => (upstream = u));

/** Each request's name, path and JSON body; the agent prints status and body of each. */
const REQUESTS = [
  ['llama-stream', '/v1/chat/completions', { model: 'llama-3.3-70b-versatile', messages: [], stream: true }],
  ['llama-by-path', '/groq/chat/completions', { model: 'llama-3.3-70b-versatile', messages: [] }],
  ['claude-on-openai-path', '/v1/chat/completions', { model: 'claude-sonnet-4-5', messages: [] }],
  ['claude', '/anthropic/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 5, messages: [] }],
  ['gpt-not-routed', '/v1/chat/completions', { model: 'gpt-4o', messages: [] }],
] as const;

const AGENT = `
const [base, list] = process.argv.slice(2);
const out = {};
for (const [name, path, body] of JSON.parse(list)) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dummy' }, body: JSON.stringify(body) });
  out[name] = { status: r.status, body: await r.text() };
}
console.log(JSON.stringify(out));
`;

describe('model-name routing', () => {
  it('sends a listed model to its provider with that provider\'s key, refuses another API\'s model, and meters it all', async () => {
    const home = makeHome({ proxy: { default_upstream: upstream.url, anthropic_upstream: `${upstream.url}/anthropic-api`, inject_stream_usage: 'openai,groq' }, vault: { protector: 'host' } });
    appendFileSync(
      join(home, 'config.toml'),
      `\n[[proxy.providers]]\nname = "groq"\nbase_url = "${upstream.url}/groq-api/openai/v1"\npath_prefix = "/groq"\nauth_header = "Authorization: Bearer {key}"\napi = "openai"\n` +
        '\n[[proxy.model_routes]]\nmodel = "llama-3.3-*"\nprovider = "groq"\n\n[[proxy.model_routes]]\nmodel = "claude-*"\nprovider = "anthropic"\n',
    );
    const d = await Daemon.start(home);
    // No openai key: a request routed away from /v1 must not need it (the key is taken once the provider is final).
    const groqKey = canary();
    const anthropicKey = canary();
    expect((await seal(home, 'groq', groqKey)).code).toBe(0);
    expect((await seal(home, 'anthropic', anthropicKey)).code).toBe(0);
    const base = `http://${(await d.status()).proxyAddress.split(', ')[0]}`;
    const agent = script('router.mjs', AGENT);
    expect((await allow(home, ['--exe-path', NODE, '--script', agent, '--name', 'router'])).code).toBe(0);

    const run = await runProcess(NODE, [agent, base, JSON.stringify(REQUESTS)]);
    expect(run.code).toBe(0);
    const got = JSON.parse(run.stdout) as Record<string, { status: number; body: string }>;
    const code = (name: string) => (JSON.parse(got[name]?.body ?? '{}') as { error?: { code: string } }).error?.code;
    expect(Object.fromEntries(REQUESTS.map(([n]) => [n, got[n]?.status]))).toEqual({ 'llama-stream': 200, 'llama-by-path': 200, 'claude-on-openai-path': 400, claude: 200, 'gpt-not-routed': 503 });
    expect(code('claude-on-openai-path')).toBe('ERR_PROXY_MODEL_API');
    expect(JSON.parse(got['claude-on-openai-path']?.body ?? '{}').error.message).toContain('does not translate');
    expect(code('gpt-not-routed')).toBe('ERR_PROXY_NO_KEY');

    // What the upstream saw: both llama requests at groq's base with groq's key, the stream asked for its usage; the
    // refused one never left the proxy.
    const seen = upstream.seen.map((s) => ({ url: s.url, groq: s.headers.authorization === `Bearer ${groqKey}`, anthropic: s.headers['x-api-key'] === anthropicKey, body: s.body }));
    expect(seen.map(({ url, groq, anthropic }) => ({ url, groq, anthropic }))).toEqual([
      { url: '/groq-api/openai/v1/chat/completions', groq: true, anthropic: false },
      { url: '/groq-api/openai/v1/chat/completions', groq: true, anthropic: false },
      { url: '/anthropic-api/v1/messages', groq: false, anthropic: true },
    ]);
    expect(JSON.parse(seen[0]?.body ?? '{}').stream_options).toEqual({ include_usage: true });
    // The client's stream is the one it asked for: no usage chunk, no "usage":null.
    expect(got['llama-stream']?.body).not.toContain('usage');
    expect(got['llama-stream']?.body.endsWith('data: [DONE]\n\n')).toBe(true);

    const rows = await waitFor(async () => {
      const r = await auditEvents(home, 'proxy.request');
      return r.length >= 3 ? r : undefined;
    }, 10_000, 'proxy.request rows');
    expect(rows.map((r) => [r.data.provider, r.data.path, r.data.usage_source, r.data.tokens])).toEqual([
      ['groq', '/v1/chat/completions', 'injected', { input: 3, output: 2 }],
      ['groq', '/groq/chat/completions', 'reported', { input: 3, output: 2 }],
      ['anthropic', '/anthropic/v1/messages', 'reported', { input: 3, output: 2 }],
    ]);

    const byProvider = JSON.parse((await ctl(home, ['usage', '--by', 'provider', '--json'])).stdout).lines as Array<{ key: string; requests: number; tokens: { input: number } }>;
    expect(byProvider.map((l) => [l.key, l.requests, l.tokens.input]).sort()).toEqual([['anthropic', 1, 3], ['groq', 2, 6]]);
    const { healthAddress } = await d.status();
    const metrics = await (await fetch(`http://${healthAddress}/metrics`)).text();
    expect(metrics).toMatch(/raypher_proxy_tokens_total\{identity="router",provider="groq",model="other",kind="input"\} 6/);
    expect(metrics).toMatch(/raypher_proxy_requests_total\{identity="router",provider="groq",status="200"\} 2/);
    // The series with samples in them pass promtool.
    const promtool = await runProcess('promtool', ['check', 'metrics'], {}, metrics);
    expect({ code: promtool.code, out: promtool.stdout + promtool.stderr }).toEqual({ code: 0, out: '' });

    await d.stop();
    for (const k of [groqKey, anthropicKey]) {
      expect(filesContaining(home, k)).toEqual([]);
      expect(d.stdout.includes(k) || d.stderr.includes(k) || run.stdout.includes(k)).toBe(false);
    }
  });

  it('a route to a provider that does not say which API it speaks is a config error naming the fix', async () => {
    const home = makeHome({ vault: { protector: 'host' } });
    appendFileSync(join(home, 'config.toml'), '\n[[proxy.providers]]\nname = "mystery"\nbase_url = "http://127.0.0.1:9"\npath_prefix = "/mystery"\nauth_header = "x-key: {key}"\n\n[[proxy.model_routes]]\nmodel = "m-*"\nprovider = "mystery"\n');
    const check = await ctl(home, ['config', 'check']);
    expect(check.code).not.toBe(0);
    expect(check.stderr).toContain('proxy.model_routes[0].provider = "mystery" does not say which API it speaks; add api = "openai"');
  });
});
