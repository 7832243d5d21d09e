import { once } from 'node:events';
import type { Server } from 'node:http';
import { startHealthServer, wantsPrometheus } from './health-server.js';

describe('health content negotiation', () => {
  it.each([
    ['application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', true],
    ['text/plain;version=0.0.4;q=1,*/*;q=0.1', true],
    ['*/*', false],
    ['application/json', false],
    [undefined, false],
  ])('Accept %j → prometheus %s', (accept, expected) => {
    expect(wantsPrometheus(accept)).toBe(expected);
  });

  it('answers a failing report with 500 and the error\'s registered code', async () => {
    const { server, address } = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      health: async () => {
        throw new Error('db gone');
      },
      metrics: async () => '',
      metricsContentType: 'text/plain',
    });
    try {
      const res = await fetch(`http://${address}/health`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: { code: 'ERR_INTERNAL_UNEXPECTED', message: 'GET /health: db gone' } });
    } finally {
      (server as Server).close();
      await once(server, 'close');
    }
  });

  it('serves JSON with 503 when unhealthy, text to scrapers, 404 and 405 otherwise', async () => {
    const { server, address } = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      health: async () => ({ healthy: false, body: { status: 'degraded' } }),
      metrics: async () => 'raypher_build_info 1\n',
      metricsContentType: 'text/plain; version=0.0.4; charset=utf-8',
    });
    try {
      const json = await fetch(`http://${address}/health`);
      expect(json.status).toBe(503);
      expect(await json.json()).toEqual({ status: 'degraded' });
      const scraped = await fetch(`http://${address}/health`, { headers: { accept: 'text/plain;version=0.0.4' } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toBe('raypher_build_info 1\n');
      expect((await fetch(`http://${address}/metrics`)).headers.get('content-type')).toMatch(/^text\/plain/);
      const missing = await fetch(`http://${address}/elsewhere`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: { code: 'ERR_HEALTH_NOT_FOUND', message: expect.stringContaining('/elsewhere') } });
      const posted = await fetch(`http://${address}/health`, { method: 'POST' });
      expect(posted.status).toBe(405);
      expect(posted.headers.get('allow')).toBe('GET, HEAD');
      expect(await posted.json()).toEqual({ error: { code: 'ERR_HEALTH_METHOD_NOT_ALLOWED', message: expect.stringContaining('POST') } });
    } finally {
      (server as Server).close();
      await once(server, 'close');
    }
  });
});
