// GET /health (JSON, or Prometheus text when the scraper asks for it) and GET /metrics, on loopback.
// node:http rather than hono here: two fixed routes, and hono + @hono/node-server add ~10 MB RSS to a
// process whose budget is 45 MB (measured, docs/benchmarks.md).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RaypherError, toRaypherError } from '@raypher/shared/errors';

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

export function handleHealthRequest(opts: HealthServerOptions) {
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, body: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
  // Errors carry a registered code, as everywhere else: {error: {code, message}}.
  const fail = (res: ServerResponse, status: number, error: RaypherError) => json(res, status, { error: error.toWire() });
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return fail(res, 405, new RaypherError('ERR_HEALTH_METHOD_NOT_ALLOWED', `${req.method ?? 'this method'} is not served; use GET or HEAD`));
      }
      if (path === '/metrics' || (path === '/health' && wantsPrometheus(req.headers.accept))) {
        return send(res, 200, opts.metricsContentType, await opts.metrics());
      }
      if (path === '/health') {
        const { healthy, body } = await opts.health();
        return json(res, healthy ? 200 : 503, body);
      }
      return fail(res, 404, new RaypherError('ERR_HEALTH_NOT_FOUND', `nothing is served at ${path.slice(0, 256)}; try GET /health or GET /metrics`));
    } catch (err) {
      return fail(res, 500, toRaypherError(err, `GET ${path.slice(0, 256)}`));
    }
  };
}

export async function startHealthServer(opts: HealthServerOptions): Promise<{ server: Server; address: string }> {
  const handler = handleHealthRequest(opts);
  const server = createServer((req, res) => void handler(req, res));
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new RaypherError('ERR_HEALTH_BIND', `cannot serve /health on ${opts.host}:${opts.port}: ${err.code ?? err.message}; free the port or change [health] listen_port`)),
    );
    server.listen(opts.port, opts.host, () => {
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({ server, address: `${host}:${addr.port}` });
    });
  });
}
