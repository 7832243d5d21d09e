// A real local HTTP server standing in for the provider: records what it saw, serves JSON and SSE.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** SSE exactly as a provider might send it: a comment, a ping, data, a mid-stream error event, in separate writes. */
export const SSE_CHUNKS = [
  ': keep-alive comment\n\n',
  'event: ping\ndata: {}\n\n',
  'data: {"id":"1","choices":[{"delta":{"content":"Hel"}}]}\n\n',
  'data: {"id":"1","choices":[{"delta":{"content":"lo"}}]}\n\n',
  'event: error\ndata: {"error":{"type":"overloaded_error"}}\n\n',
  'data: [DONE]\n\n',
];

export class Upstream {
  readonly seen: Seen[] = [];
  /** Set when a client of /stream/forever went away (the proxy aborted the upstream request). */
  foreverClosed = false;
  private constructor(readonly server: Server, readonly port: number) {}

  static async start(): Promise<Upstream> {
    let self: Upstream | undefined;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        self?.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const path = (req.url ?? '').split('?')[0];
        if (path?.endsWith('/stream/sse')) {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          let i = 0;
          const next = () => (i < SSE_CHUNKS.length ? (res.write(SSE_CHUNKS[i++]), setTimeout(next, 20)) : res.end());
          next();
          return;
        }
        if (path?.endsWith('/stream/forever')) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const timer = setInterval(() => res.write('data: tick\n\n'), 20);
          res.on('close', () => {
            clearInterval(timer);
            if (self) self.foreverClosed = true;
          });
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, path: req.url }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    self = new Upstream(server, (server.address() as AddressInfo).port);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
