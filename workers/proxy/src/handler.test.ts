// The request path in one process: a real http server and handler, the identification thread from fixtures
// (tests/proxy/fixtures, built dist/), a fake vault and audit. Cross-process behaviour is in tests/proxy.
import { PriceTable } from './accounting/prices.js';
import { UsageBook } from './accounting/usage-book.js';
import { BodyBudget } from './accounting/request-body.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { defaultConfig } from '@raypher/shared/config';
import { RaypherError } from '@raypher/shared/errors';
import type { Logger } from '@raypher/shared/logging';
import type { AllowList } from './allow-list.js';
import type { AuditBatcher } from './audit-batch.js';
import { CallerVerdicts } from './caller-verdicts.js';
import { ConnectionCap } from './connection-cap.js';
import { createHandler } from './handler.js';
import { IDENTITY_TIMEOUTS_MS } from './identity/protocol.js';
import { IdentityThread } from './identity/thread.js';
import { proxyMetrics } from './metrics.js';
import type { PanicSwitch } from './panic.js';
import { ModelRoutes } from './model-routes.js';
import { providersFrom } from './providers.js';
import { RateLimiter } from './rate-limit.js';
import { Upstreams } from './upstream.js';
import type { VaultClient } from './vault-client.js';

const quiet = { info() {}, warn() {}, error() {} } as unknown as Logger;
const fixture = (name: string) => new URL(`../../../tests/proxy/fixtures/${name}`, import.meta.url);
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(r)));
  return (server.address() as AddressInfo).port;
}

interface Options { thread: string; identifyMs?: number; upstream?: number; vault?: () => Promise<string>; begin?: () => void; rateLimit?: number; routes?: Array<{ model: string; provider: string }>; bodies?: BodyBudget }

async function proxy(o: Options) {
  const identity = new IdentityThread(null, { entry: fixture(o.thread), timeoutsMs: { ...IDENTITY_TIMEOUTS_MS, identify: o.identifyMs ?? IDENTITY_TIMEOUTS_MS.identify } });
  closers.push(() => identity.close());
  const config = { ...defaultConfig().proxy, default_upstream: `http://127.0.0.1:${o.upstream ?? 9}`, anthropic_upstream: `http://127.0.0.1:${o.upstream ?? 9}`, rate_limit: o.rateLimit ?? 100, model_routes: o.routes ?? [] };
  const routing = { providers: providersFrom(config) };
  const models = () => new ModelRoutes(config.model_routes, routing.providers);
  const rows: Array<[string, Record<string, unknown>]> = [];
  const audit = { add: (t: string, d: Record<string, unknown>) => rows.push([t, d]), begin: o.begin ?? (() => undefined), complete: (_id: string, d: Record<string, unknown>) => rows.push(['complete', d]) };
  const metrics = proxyMetrics(new Registry());
  const upstreams = new Upstreams(1000);
  closers.push(() => upstreams.close());
  const handler = createHandler({
    config: () => config, providers: () => routing.providers, models, verdicts: new CallerVerdicts(identity, () => 1000, metrics), allowList: { get: () => ({ rate_limit: null }) } as unknown as AllowList,
    onCodeChanged: () => undefined, panic: { engaged: false } as PanicSwitch, limiter: new RateLimiter(), vault: { cached: () => undefined, key: o.vault ?? (async () => 'sk-test') } as unknown as VaultClient,
    upstreams, audit: audit as unknown as AuditBatcher, logger: quiet, stats: { served: 0, blocked: 0, latencyMsTotal: 0 }, metrics, connections: new ConnectionCap(), usage: new UsageBook(() => new PriceTable([]), metrics), bodies: o.bodies ?? new BodyBudget(),
  });
  const port = await listen(createServer(handler.handle));
  const post = async (body = '{}') => {
    const r = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', headers: { connection: 'close', 'content-type': 'application/json' }, body });
    const text = await r.text();
    return { status: r.status, code: r.status === 200 ? null : (JSON.parse(text) as { error: { code: string } }).error.code, text, id: r.headers.get('x-raypher-request-id') };
  };
  return { post, rows, identity, port, routing };
}

describe('request path', () => {
  it('an identification thread that hangs: the request fails closed with 503 ERR_PROXY_IDENTITY_FAILED, audited as no_process', async () => {
    let begun = 0;
    const p = await proxy({ thread: 'identity-thread-hangs.mjs', identifyMs: 300, begin: () => void begun++ });
    await expect(p.post()).resolves.toMatchObject({ status: 503, code: 'ERR_PROXY_IDENTITY_FAILED' });
    expect(p.rows).toEqual([['proxy.denied', expect.objectContaining({ reason: 'no_process', detail: expect.stringContaining('identify'), entry_id: null, path: '/v1/chat/completions', script: null })]]);
    expect(begun).toBe(0);
    // A refusal names its request like a forwarded answer does, with the id of its audit row.
    const again = await p.post();
    expect(again.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(p.rows[1]?.[1].request_id).toBe(again.id);
  });

  it('an identification thread that dies: each request fails closed, and a fresh thread takes the next one', async () => {
    const p = await proxy({ thread: 'identity-thread-dies.mjs' });
    await expect(p.post()).resolves.toMatchObject({ status: 503, code: 'ERR_PROXY_IDENTITY_FAILED' });
    await expect(p.post()).resolves.toMatchObject({ status: 503, code: 'ERR_PROXY_IDENTITY_FAILED' });
    expect(p.rows.map(([t, d]) => [t, d.reason])).toEqual([['proxy.denied', 'no_process'], ['proxy.denied', 'no_process']]);
  });

  it('a request that gets no upstream response gives its rate-limit slot back (vault, journal, upstream failures)', async () => {
    let vaultUp = false;
    let journalUp = false;
    const upstream = createServer((_req, res) => res.destroy());
    const p = await proxy({
      thread: 'identity-thread-allows.mjs', upstream: await listen(upstream), rateLimit: 1,
      vault: async () => (vaultUp ? 'sk-test' : Promise.reject(new RaypherError('ERR_VAULT_UNREACHABLE', 'vault down'))),
      begin: () => {
        if (!journalUp) throw new RaypherError('ERR_AUDIT_JOURNAL', 'disk full');
      },
    });
    await expect(p.post()).resolves.toMatchObject({ status: 503, code: 'ERR_VAULT_UNREACHABLE' });
    vaultUp = true;
    await expect(p.post()).resolves.toMatchObject({ status: 503, code: 'ERR_AUDIT_JOURNAL' });
    journalUp = true;
    await expect(p.post()).resolves.toMatchObject({ status: 502, code: 'ERR_PROXY_UPSTREAM' });
    // One token a minute, three refusals without an upstream response: the token is still there, then spent.
    upstream.removeAllListeners('request');
    upstream.on('request', (_req, res) => res.end('ok'));
    await expect(p.post()).resolves.toMatchObject({ status: 200, text: 'ok' });
    await expect(p.post()).resolves.toMatchObject({ status: 429, code: 'ERR_PROXY_RATE_LIMITED' });
  });

  it('a body read whole spends its slot even when refused: a model of another API is 400 ERR_PROXY_MODEL_API, audited, never sent', async () => {
    let sent = 0;
    const upstream = createServer((_req, res) => void (sent++, res.end('ok')));
    const p = await proxy({ thread: 'identity-thread-allows.mjs', upstream: await listen(upstream), rateLimit: 1, routes: [{ model: 'claude-*', provider: 'anthropic' }] });
    await expect(p.post('{"model":"claude-sonnet-4-5"}')).resolves.toMatchObject({ status: 400, code: 'ERR_PROXY_MODEL_API' });
    expect(p.rows).toEqual([['proxy.denied', expect.objectContaining({ reason: 'model_api', model: 'claude-sonnet-4-5', provider: 'anthropic', path: '/v1/chat/completions' })]]);
    // One token a minute, spent by the body the proxy read: the next request is over the limit.
    await expect(p.post('{"model":"gpt-4o"}')).resolves.toMatchObject({ status: 429, code: 'ERR_PROXY_RATE_LIMITED' });
    expect(sent).toBe(0);
  });

  it('routes reloaded while a body was read: the request is refused 503 ERR_PROXY_RELOADED, not sent with a key taken by name', async () => {
    let sent = 0;
    const upstream = createServer((_req, res) => void (sent++, res.end('ok')));
    const p = await proxy({ thread: 'identity-thread-allows.mjs', upstream: await listen(upstream), routes: [{ model: 'claude-*', provider: 'anthropic' }] });
    const { request } = await import('node:http');
    const body = '{"model":"gpt-4o"}';
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ port: p.port, host: '127.0.0.1', path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 5));
      // The body is half sent: the operator reloads (new provider objects), then the rest arrives.
      setTimeout(() => {
        p.routing.providers = providersFrom({ ...defaultConfig().proxy, default_upstream: 'http://127.0.0.1:9' });
        req.end(body.slice(5));
      }, 300);
    });
    const got = await answer;
    expect([got.status, (JSON.parse(got.text) as { error: { code: string } }).error.code]).toEqual([503, 'ERR_PROXY_RELOADED']);
    expect(sent).toBe(0);
  });

  it('bodies read whole share a budget: past it a request is refused 503 ERR_PROXY_BUSY unread, and its slot is given back', async () => {
    let sent = 0;
    const upstream = createServer((_req, res) => void (sent++, res.end('ok')));
    const bodies = new BodyBudget();
    expect(bodies.take(128 * 1024 * 1024, 0)).toBe(true); // other requests' bodies fill it
    const p = await proxy({ thread: 'identity-thread-allows.mjs', upstream: await listen(upstream), rateLimit: 1, bodies, routes: [{ model: 'claude-*', provider: 'anthropic' }] });
    await expect(p.post('{"model":"gpt-4o"}')).resolves.toMatchObject({ status: 503, code: 'ERR_PROXY_BUSY' });
    bodies.release(128 * 1024 * 1024);
    await expect(p.post('{"model":"gpt-4o"}')).resolves.toMatchObject({ status: 200, text: 'ok' }); // the slot came back
    expect(sent).toBe(1);
  });
});
