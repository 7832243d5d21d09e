import { Agent, createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { ConnectionDrain } from './drain.js';

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

/** A raw kept-alive client: each write is one request; `next()` resolves with the next whole response (or how the socket ended). */
class RawClient {
  private buf = '';
  private waiter: ((text: string) => void) | null = null;
  ended: string | null = null;
  readonly closed: Promise<void>;
  private constructor(readonly socket: Socket) {
    this.closed = new Promise((r) => socket.once('close', () => r()));
    socket.on('data', (d: Buffer) => {
      this.buf += d.toString();
      this.flush();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (this.ended = err.code ?? err.message));
    socket.on('close', () => {
      this.ended ??= 'closed';
      this.flush();
    });
  }
  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  send(path: string): void {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
  }
  next(): Promise<string> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.flush();
    });
  }
  private flush(): void {
    const end = this.buf.indexOf('\r\n\r\n');
    const length = /content-length: (\d+)/i.exec(this.buf)?.[1];
    if (this.waiter && end >= 0 && length !== undefined && this.buf.length >= end + 4 + Number(length)) {
      const text = this.buf.slice(0, end + 4 + Number(length));
      this.buf = this.buf.slice(text.length);
      this.waiter(text);
      this.waiter = null;
    } else if (this.waiter && this.ended !== null) {
      this.waiter(`(no response: ${this.ended})`);
      this.waiter = null;
    }
  }
}

describe('ConnectionDrain', () => {
  let server: Server;
  let port: number;
  let drain: ConnectionDrain;
  beforeEach(async () => {
    server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow done'), 300);
      else res.end('quick');
    });
    drain = new ConnectionDrain();
    drain.watch(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => server.closeAllConnections());

  it('answers a request sent on a kept-alive connection just as the drain starts, with Connection: close (an idle sweep resets it)', async () => {
    const client = await RawClient.open(port);
    client.send('/quick');
    expect(await client.next()).toMatch(/^HTTP\/1\.1 200 [\s\S]*keep-alive[\s\S]*quick$/i);
    // The second request is in the server's receive buffer, not yet read, when the drain starts: the race an idle sweep loses.
    client.send('/quick');
    const drained = drain.drain(10_000);
    const second = await client.next();
    expect(second).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/\r\nconnection: close\r\n/i);
    expect(await drained).toEqual({ closedEarly: 0, cutInFlight: 0, cutIdle: 0 });
    await client.closed;
    expect(client.ended).toBe('closed');
  });

  it('leaves an idle kept-alive connection open until its client sends on it, then closes it after that answer', async () => {
    const client = await RawClient.open(port);
    client.send('/quick');
    await client.next();
    let done = false;
    const drained = drain.drain(10_000).finally(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(client.ended).toBeNull();
    expect(done).toBe(false);
    expect(server.listening).toBe(false);
    client.send('/quick');
    expect(await client.next()).toMatch(/\r\nconnection: close\r\n[\s\S]*quick$/i);
    expect(await drained).toEqual({ closedEarly: 0, cutInFlight: 0, cutIdle: 0 });
  });

  it('lets a request in flight finish, tells its client the connection closes, and returns once none is left', async () => {
    const slow = get(port, '/slow', new Agent({ keepAlive: true }));
    await new Promise((r) => setTimeout(r, 50));
    expect(await drain.drain(10_000)).toEqual({ closedEarly: 0, cutInFlight: 0, cutIdle: 0 });
    expect(await slow).toEqual({ status: 200, body: 'slow done', connection: 'close' });
    expect(server.listening).toBe(false);
  });

  it('cuts what is still open after maxMs and says how many, busy and idle', async () => {
    server.removeAllListeners('request');
    drain = new ConnectionDrain();
    server.close();
    server = createServer((req, res) => {
      if (req.url === '/quick') res.end('quick');
    }); // anything else is never answered
    drain.watch(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    const idle = await RawClient.open(port);
    idle.send('/quick');
    await idle.next();
    const pending = get(port, '/never', new Agent({ keepAlive: true })).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 50));
    expect(await drain.drain(200)).toEqual({ closedEarly: 2, cutInFlight: 1, cutIdle: 1 });
    expect(String(await pending)).toMatch(/socket hang up|ECONNRESET/);
  });
});
