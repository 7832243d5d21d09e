// A real node:http static server on port 0 serving a TUF repository directory; a test can replace one path's answer.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export class RepoServer {
  readonly requests: string[] = [];
  private readonly overrides = new Map<string, Handler>();

  private constructor(
    private readonly server: Server,
    readonly base: string,
  ) {}

  static async start(root: string): Promise<RepoServer> {
    let self: RepoServer | null = null;
    const server = createServer((req, res) => self?.handle(root, req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new RepoServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  get metadataUrl(): string {
    return `${this.base}/metadata`;
  }

  get targetsUrl(): string {
    return `${this.base}/targets`;
  }

  /** Answers requests for exactly this URL path (e.g. /metadata/timestamp.json) with the handler. */
  override(path: string, handler: Handler): void {
    this.overrides.set(path, handler);
  }

  clearOverrides(): void {
    this.overrides.clear();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(root: string, req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    this.requests.push(path);
    const override = this.overrides.get(path);
    if (override !== undefined) return override(req, res);
    const file = join(root, normalize(path));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': statSync(file).size, 'content-type': 'application/octet-stream' });
    createReadStream(file).pipe(res);
  }
}
