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
      expect((await fetch(`http://${address}/elsewhere`)).status).toBe(404);
      expect((await fetch(`http://${address}/health`, { method: 'POST' })).status).toBe(405);
    } finally {
      (server as Server).close();
      await once(server, 'close');
    }
  });
});
