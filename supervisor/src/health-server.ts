// GET /health (JSON, or Prometheus text when the scraper asks for it) and GET /metrics, on loopback.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { RaypherError } from '@raypher/shared/errors';

export interface HealthServerOptions {
  host: string;
  port: number;
  health(): Promise<{ healthy: boolean; body: Record<string, unknown> }>;
  metrics(): Promise<string>;
  metricsContentType: string;
}

/** Prometheus and OpenMetrics scrapers announce themselves in Accept; browsers and curl do not. */
export function wantsPrometheus(accept: string | undefined): boolean {
  if (!accept) return false;
  return /application\/openmetrics-text/i.test(accept) || /text\/plain;\s*version=0\.0\.4/i.test(accept);
}

export function buildHealthApp(opts: HealthServerOptions): Hono {
  const app = new Hono();
  const metrics = async () => new Response(await opts.metrics(), { headers: { 'content-type': opts.metricsContentType } });
  app.get('/metrics', metrics);
  app.get('/health', async (c) => {
    if (wantsPrometheus(c.req.header('accept'))) return metrics();
    const { healthy, body } = await opts.health();
    return c.json(body, healthy ? 200 : 503);
  });
  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'try GET /health or GET /metrics' } }, 404));
  return app;
}

export async function startHealthServer(opts: HealthServerOptions): Promise<{ server: ServerType; address: string }> {
  const app = buildHealthApp(opts);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port });
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new RaypherError('ERR_HEALTH_BIND', `cannot serve /health on ${opts.host}:${opts.port}: ${err.code ?? err.message}; free the port or change [health] listen_port`)),
    );
    server.once('listening', () => {
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({ server, address: `${host}:${addr.port}` });
    });
  });
}
