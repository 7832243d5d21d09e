import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainServers } from './drain.js';

function get(port: number, path: string, agent: Agent): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('drainServers', () => {
  let server: Server;
  let port: number;
  beforeEach(async () => {
    server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow done'), 300);
      else res.end('quick');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => server.closeAllConnections());

  it('lets a request in flight finish, closes idle kept-alive connections, and returns once none is left', async () => {
    const agent = new Agent({ keepAlive: true });
    await get(port, '/quick', agent); // leaves an idle kept-alive connection
    const slow = get(port, '/slow', new Agent({ keepAlive: true }));
    await new Promise((r) => setTimeout(r, 50));
    const t = Date.now();
    const drained = await drainServers([server], 10_000);
    expect(drained).toEqual({ closedEarly: 0 });
    expect(await slow).toMatchObject({ status: 200, body: 'slow done' });
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(server.listening).toBe(false);
    agent.destroy();
  });

  it('cuts what is still open after maxMs and says how many', async () => {
    server.removeAllListeners('request');
    server.on('request', () => undefined); // never answers
    const pending = get(port, '/never', new Agent({ keepAlive: true })).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 50));
    expect(await drainServers([server], 200)).toEqual({ closedEarly: 1 });
    expect(String(await pending)).toMatch(/socket hang up|ECONNRESET/);
  });
});
