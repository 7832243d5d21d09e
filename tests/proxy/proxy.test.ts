// The proxy end to end: real supervisor, real vault, real agent processes, a real local upstream.
import { copyFileSync, appendFileSync, chmodSync, existsSync, mkdtempSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditEvents, ctl, Daemon, makeHome, pidAlive, REPO, run, waitFor } from '../helpers/daemon.js';
import { canary, filesContaining, seal } from '../vault/helpers.js';
import { runAgent, writeAgent } from './agent.js';
import { SSE_CHUNKS, type Upstream } from './upstream.js';
import { upstreamPerTest } from './harness.js';

let upstream: Upstream;
upstreamPerTest((u) => (upstream = u));

const NODE = process.execPath;

async function startProxy(extra: Record<string, string | number | boolean> = {}) {
  const home = makeHome({ proxy: { default_upstream: upstream.url, anthropic_upstream: `${upstream.url}/anthropic-api`, ...extra }, vault: { protector: 'host' } });
  const d = await Daemon.start(home);
  const key = canary();
  expect((await seal(home, 'openai', key)).code).toBe(0);
  expect((await seal(home, 'anthropic', key)).code).toBe(0);
  const addresses = (await d.status()).proxyAddress.split(', ');
  const v4 = addresses.find((a) => a.startsWith('127.0.0.1:')) ?? (addresses[0] as string);
  return { home, d, key, base: `http://${v4}`, v6: addresses.find((a) => a.startsWith('[::1]')) };
}

const allow = (home: string, args: string[]) => ctl(home, ['allow', ...args]);

describe('proxy', () => {
  it('forwards an allow-listed script with the real key, refuses everyone else, and audits both', async () => {
    const { home, d, key, base, v6 } = await startProxy();
    const agent = writeAgent();
    const added = await allow(home, ['--exe-path', NODE, '--script', agent, '--name', 'test-agent']);
    expect(added.code).toBe(0);

    const ok = (await runAgent(NODE, agent, ['request', `${base}/v1/chat/completions?key=leak&x=1`])) as { status: number; headers: Record<string, string> };
    expect(ok.status).toBe(200);
    expect(ok.headers['x-raypher-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(ok.headers['x-raypher-overhead-ms'])).toBeGreaterThanOrEqual(0);
    const saw = upstream.seen.at(-1)!;
    expect(saw.url).toBe('/v1/chat/completions?x=1');
    expect(saw.body).toBe(JSON.stringify({ model: 'm', messages: [] })); // the body streams through unchanged
    expect(((await runAgent(NODE, agent, ['chunked', `${base}/v1/chat/completions`])) as { status: number }).status).toBe(200);
    expect([upstream.seen.at(-1)!.body, upstream.seen.at(-1)!.headers['transfer-encoding']]).toEqual(['{"model":"m","messages":[]}', 'chunked']);
    expect(saw.headers.authorization === `Bearer ${key}`).toBe(true);
    expect(saw.headers['x-raypher-token']).toBeUndefined();
    expect(JSON.stringify(saw.headers)).not.toContain('dummy-from-agent');

    const anthropic = (await runAgent(NODE, agent, ['request', `${base}/anthropic/v1/messages/count_tokens`])) as { status: number };
    expect(anthropic.status).toBe(200);
    expect(upstream.seen.at(-1)!.url).toBe('/anthropic-api/v1/messages/count_tokens');
    expect(upstream.seen.at(-1)!.headers['x-api-key'] === key).toBe(true);
    expect(upstream.seen.at(-1)!.headers.authorization).toBeUndefined();

    if (v6) expect(((await runAgent(NODE, agent, ['request', `http://${v6}/v1/models`])) as { status: number }).status).toBe(200);

    const seenBefore = upstream.seen.length;
    const other = writeAgent('other.mjs');
    const denied = (await runAgent(NODE, other, ['request', `${base}/v1/chat/completions`])) as { status: number; body: string };
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toMatchObject({ error: { code: 'ERR_PROXY_CALLER_DENIED', pid: expect.any(Number), exe: NODE } });
    const inline = await run(NODE, ['-e', `fetch('${base}/v1/models').then(r => console.log(r.status))`]);
    expect(inline.stdout.trim()).toBe('403');
    const curl = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${base}/v1/models`]);
    expect(curl.stdout).toBe('403');
    expect(upstream.seen.length).toBe(seenBefore);

    await waitFor(async () => (await auditEvents(home, 'proxy.denied')).length >= 3, 5000, 'denied rows');
    const requests = await auditEvents(home, 'proxy.request');
    expect(requests[1]?.data).toMatchObject({ bytes_in: 27 });
    expect(requests[0]?.data).toMatchObject({ provider: 'openai', method: 'POST', path: '/v1/chat/completions', status: 200, exe: NODE, script: agent, uid: 0, bytes_in: 27, bytes_out: expect.any(Number) });
    const reasons = (await auditEvents(home, 'proxy.denied')).map((e) => e.data.reason);
    expect(reasons).toEqual(expect.arrayContaining(['script_not_allowed', 'inline_code', 'not_listed']));
    expect((await d.status()).counts.allow_list).toBe(1);
    await d.stop();
    expect(filesContaining(home, key)).toEqual([]);
    expect(d.stdout.includes(key) || d.stderr.includes(key)).toBe(false);
  });

  it('streams SSE byte for byte, and a client abort aborts the upstream request', async () => {
    const { home, d, base } = await startProxy();
    const agent = writeAgent();
    await allow(home, ['--exe-path', NODE, '--script', agent]);
    const r = (await runAgent(NODE, agent, ['sse', `${base}/v1/stream/sse`])) as { status: number; body64: string };
    expect(r.status).toBe(200);
    expect(Buffer.from(r.body64, 'base64').toString('utf8')).toBe(SSE_CHUNKS.join(''));

    expect(((await runAgent(NODE, agent, ['abort', `${base}/v1/stream/forever`])) as { status: number }).status).toBe(200);
    await waitFor(async () => upstream.foreverClosed, 5000, 'upstream request aborted');
    await d.stop();
  });

  it('rate-limits exactly N requests, then 429 with Retry-After', async () => {
    const { home, d, base } = await startProxy();
    const agent = writeAgent();
    await allow(home, ['--exe-path', NODE, '--script', agent, '--rate-limit', '3']);
    const statuses = await runAgent(NODE, agent, ['loop', `${base}/v1/models`, '5']);
    // 3 per minute: one token every 20 s, so the next request may come in 20 s at most.
    expect(statuses).toEqual([200, 200, 200, '429 retry-after 20', '429 retry-after 20']);
    const limited = await waitFor(async () => {
      const rows = await auditEvents(home, 'proxy.rate_limited');
      return rows.length === 2 ? rows : undefined;
    }, 5000, 'rate_limited rows');
    expect(limited[0]?.data).toMatchObject({ provider: 'openai', limit_per_minute: 3, exe: NODE });
    await d.stop();
  });

  it('denies an allowed binary once it is replaced on disk, and audits proxy.exe_changed', async () => {
    const { home, d, base } = await startProxy();
    const dir = mkdtempSync(join(tmpdir(), 'raypher-bin-'));
    const myNode = join(dir, 'node');
    copyFileSync(NODE, myNode);
    chmodSync(myNode, 0o755);
    const agent = writeAgent();
    await allow(home, ['--exe-path', myNode, '--any-script']);
    expect(((await runAgent(myNode, agent, ['request', `${base}/v1/models`])) as { status: number }).status).toBe(200);
    appendFileSync(myNode, Buffer.from('tampered'));
    const after = (await runAgent(myNode, agent, ['request', `${base}/v1/models`])) as { status: number; body: string };
    expect(after.status).toBe(403);
    expect(JSON.parse(after.body).error.message).toContain('changed on disk');
    await waitFor(async () => (await auditEvents(home, 'proxy.exe_changed')).length === 1, 5000, 'exe_changed row');
    await d.stop();
  });

  it('kill -9 of the proxy worker while a client loops: no connection refused, only in-flight requests fail', async () => {
    const { home, d, base } = await startProxy();
    const agent = writeAgent();
    await allow(home, ['--exe-path', NODE, '--script', agent]);
    const loop = runAgent(NODE, agent, ['loop', `${base}/v1/models`, '150', '10']);
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 2; i++) {
      const pid = (await d.status()).workers.find((w) => w.name === 'proxy')!.pid!;
      process.kill(pid, 'SIGKILL');
      await d.waitForAllRunning();
      await new Promise((r) => setTimeout(r, 200));
    }
    const results = (await loop) as Array<number | string>;
    expect(results).toHaveLength(150);
    expect(results.filter((x) => x === 'ECONNREFUSED')).toEqual([]);
    const failures = results.filter((x) => x !== 200);
    expect(failures.length).toBeLessThanOrEqual(2); // at most the request in flight at each kill
    expect(results.filter((x) => x === 200).length).toBeGreaterThanOrEqual(148);
    await d.stop();
  });

  it.each([
    ['openai', 'plain'],
    ['openai', 'stream'],
    ['anthropic', 'plain'],
    ['anthropic', 'stream'],
  ])('the official %s SDK works unmodified through the proxy (%s)', async (sdk, mode) => {
    const { home, d, key, base } = await startProxy();
    const client = join(REPO, 'tests', 'fixtures', 'agents', 'sdk-client.mjs');
    expect((await allow(home, ['--exe-path', NODE, '--script', client])).code).toBe(0);
    const out = (await runAgent(NODE, client, [sdk, base, mode])) as { text: string; usage: Record<string, number> };
    expect(out.text).toBe('Hello!');
    expect(out.usage).toMatchObject(sdk === 'openai' ? { total_tokens: 5 } : { output_tokens: 2 });
    const saw = upstream.seen.at(-1)!;
    const presented = sdk === 'openai' ? saw.headers.authorization : saw.headers['x-api-key'];
    expect(presented === (sdk === 'openai' ? `Bearer ${key}` : key)).toBe(true);
    expect(JSON.stringify(saw.headers).includes('dummy-not-a-key')).toBe(false);
    if (sdk === 'anthropic') expect(saw.headers['anthropic-version']).toBeDefined();
    const row = await waitFor(async () => (await auditEvents(home, 'proxy.request'))[0], 5000, 'proxy.request row');
    expect(row.data).toMatchObject({ tokens: { input: 3, output: 2 }, model: sdk === 'openai' ? 'gpt-test' : 'claude-test', usage_source: 'reported', cost_micro_usd: null });
    await d.stop();
  });

  it('refuses requests outside the provider routes with a code, and reports upstream failures as 502', async () => {
    const { home, d, base } = await startProxy({ anthropic_upstream: 'http://127.0.0.1:1' });
    const agent = writeAgent();
    await allow(home, ['--exe-path', NODE, '--script', agent]);
    const notFound = (await runAgent(NODE, agent, ['request', `${base}/elsewhere`])) as { status: number; body: string };
    expect(notFound.status).toBe(404);
    expect(JSON.parse(notFound.body).error.code).toBe('ERR_PROXY_UNKNOWN_ROUTE');
    const bad = (await runAgent(NODE, agent, ['request', `${base}/anthropic/v1/messages`])) as { status: number; body: string };
    expect(bad.status).toBe(502);
    expect(JSON.parse(bad.body).error.code).toBe('ERR_PROXY_UPSTREAM');
    writeFileSync(join(home, 'unused'), '');
    await d.stop();
  });

  it('routes a [[proxy.providers]] entry with its own vault key and auth header template', async () => {
    const home = makeHome({ proxy: { default_upstream: upstream.url }, vault: { protector: 'host' } });
    appendFileSync(join(home, 'config.toml'), `\n[[proxy.providers]]\nname = "groq"\nbase_url = "${upstream.url}/groq-api"\npath_prefix = "/groq"\nauth_header = "api-key: Token {key}"\n`);
    const d = await Daemon.start(home);
    const key = canary();
    expect((await seal(home, 'groq', key)).code).toBe(0);
    const base = `http://${(await d.status()).proxyAddress.split(', ')[0]}`;
    const agent = writeAgent();
    await allow(home, ['--exe-path', NODE, '--script', agent]);
    const ok = (await runAgent(NODE, agent, ['request', `${base}/groq/v1/chat/completions`])) as { status: number };
    expect(ok.status).toBe(200);
    const saw = upstream.seen.at(-1)!;
    expect(saw.url).toBe('/groq-api/v1/chat/completions');
    expect(saw.headers['api-key'] === `Token ${key}`).toBe(true);
    expect(saw.headers.authorization).toBeUndefined();
    expect(saw.headers['x-raypher-token']).toBeUndefined();
    // No key sealed for the built-in openai route: a clear 503, not a forward without a key.
    const noKey = (await runAgent(NODE, agent, ['request', `${base}/v1/models`])) as { status: number; body: string };
    expect([noKey.status, JSON.parse(noKey.body).error.code]).toEqual([503, 'ERR_PROXY_NO_KEY']);
    const row = await waitFor(async () => (await auditEvents(home, 'proxy.request'))[0], 5000, 'proxy.request row');
    expect(row.data).toMatchObject({ provider: 'groq', path: '/groq/v1/chat/completions', status: 200 });
    await d.stop();
    expect(filesContaining(home, key)).toEqual([]);
  });

  it('on_deny = "drop" closes a denied connection without an answer, and still audits it', async () => {
    const { home, d, base } = await startProxy({ on_deny: 'drop' });
    const curl = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${base}/v1/models`]);
    expect([curl.code, curl.stdout]).toEqual([52, '000']); // curl 52: empty reply from server
    const row = await waitFor(async () => (await auditEvents(home, 'proxy.denied'))[0], 5000, 'proxy.denied row');
    expect(row.data).toMatchObject({ reason: 'not_listed', path: '/v1/models' });
    await d.stop();
  });

  it('listens on a non-loopback address only with allow_remote, and warns that it does', async () => {
    const { home, d, base } = await startProxy({ listen_addr: '0.0.0.0', allow_remote: true });
    expect((await d.status()).proxyAddress).toMatch(/^0\.0\.0\.0:\d+$/);
    const port = base.split(':').pop();
    expect((await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/v1/models`])).stdout).toBe('403');
    expect((await ctl(home, ['logs', 'supervisor', '-n', '200'])).stdout).toMatch(/proxy listens on 0\.0\.0\.0, reachable from the network/);
    await d.stop();
  });

  it('panic: cuts streams in flight, answers 503 to everyone across a proxy restart, and releases', async () => {
    const { home, d, base } = await startProxy();
    const agent = writeAgent();
    await allow(home, ['--exe-path', NODE, '--script', agent]);
    expect(((await runAgent(NODE, agent, ['request', `${base}/v1/models`])) as { status: number }).status).toBe(200);
    const stream = runAgent(NODE, agent, ['sse', `${base}/v1/stream/forever`]).then(() => 'completed', (err: Error) => err.message);
    await waitFor(async () => upstream.seen.some((s) => s.url === '/v1/stream/forever') || undefined, 5000, 'stream to start');

    const engaged = await ctl(home, ['panic', '--reason', 'suspected key leak', '--json']);
    expect(engaged.code).toBe(0);
    expect(JSON.parse(engaged.stdout)).toMatchObject({ engaged: true, reason: 'suspected key leak' });
    expect(await stream).toMatch(/^agent failed \(1\).*terminated/s);
    await waitFor(async () => upstream.foreverClosed || undefined, 5000, 'upstream stream aborted');

    const seen = upstream.seen.length;
    const refused = (await runAgent(NODE, agent, ['request', `${base}/v1/models`])) as { status: number; body: string };
    expect([refused.status, JSON.parse(refused.body).error.code]).toEqual([503, 'ERR_PROXY_PANIC']);
    expect((await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${base}/v1/models`])).stdout).toBe('503');
    expect((await d.status()).panic).toMatchObject({ engaged: true, reason: 'suspected key leak' });

    expect((await ctl(home, ['restart', 'proxy'])).code).toBe(0);
    await d.waitForAllRunning();
    expect(((await runAgent(NODE, agent, ['request', `${base}/v1/models`])) as { status: number }).status).toBe(503);
    expect(upstream.seen.length).toBe(seen);

    const released = await ctl(home, ['panic', 'release']);
    expect(released.stdout).toMatch(/panic released/);
    expect(((await runAgent(NODE, agent, ['request', `${base}/v1/models`])) as { status: number }).status).toBe(200);
    expect((await ctl(home, ['panic', 'status'])).stdout).toMatch(/^panic off \(released .* by uid 0 pid \d+\)/);

    const engagedRow = (await auditEvents(home, 'panic.engaged'))[0];
    expect(engagedRow?.data).toMatchObject({ reason: 'suspected key leak', by: expect.stringMatching(/^uid 0 pid \d+$/) });
    expect(await auditEvents(home, 'panic.released')).toHaveLength(1);
    await waitFor(async () => (await auditEvents(home, 'proxy.denied')).filter((e) => e.data.reason === 'panic').length >= 3 || undefined, 5000, 'panic denials audited');
    await d.stop();
  });

  it('serves the unix socket endpoint, identifying callers by SO_PEERCRED, and clears a stale socket after a crash', async () => {
    const { home, d, key } = await startProxy({ unix_socket: 'proxy.sock' });
    const sock = join(home, 'run', 'proxy.sock');
    expect((await d.status()).proxyAddress.split(', ')).toContain(`unix:${sock}`);
    expect(statSync(sock).mode & 0o777).toBe(0o666);
    const agent = writeAgent();
    await allow(home, ['--exe-path', NODE, '--script', agent]);
    const ok = (await runAgent(NODE, agent, ['unix', sock, '/v1/chat/completions'])) as { status: number };
    expect(ok.status).toBe(200);
    expect(upstream.seen.at(-1)!.headers.authorization === `Bearer ${key}`).toBe(true);
    const curl = await run('curl', ['-s', '--unix-socket', sock, '-o', '/dev/null', '-w', '%{http_code}', 'http://raypher/v1/models']);
    expect(curl.stdout).toBe('403');
    const denied = await waitFor(async () => (await auditEvents(home, 'proxy.denied'))[0], 5000, 'proxy.denied row');
    expect(denied.data).toMatchObject({ reason: 'not_listed', exe: realpathSync('/usr/bin/curl') });

    // A supervisor killed with -9 leaves its socket file behind; the next start takes it over.
    const workerPids = (await d.status()).workers.map((w) => w.pid as number);
    await d.stop('SIGKILL');
    await waitFor(async () => workerPids.every((p) => !pidAlive(p)) || undefined, 10_000, 'orphaned workers to exit');
    expect(existsSync(sock)).toBe(true);
    const again = await Daemon.start(home);
    expect(((await runAgent(NODE, agent, ['unix', sock, '/v1/models'])) as { status: number }).status).toBe(200);
    await again.stop();
    expect(existsSync(sock)).toBe(false);
  });
});
