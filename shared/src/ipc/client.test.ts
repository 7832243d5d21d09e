import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectControl } from './client.js';
import { defineControlMethods } from './define.js';
import { Peer } from './peer.js';
import { Control, CONTROL_HOP_MARGIN_MS, PROTOCOL_VERSION } from './protocol/index.js';
import { empty } from './schema.js';
import { SocketTransport } from './transports/socket.js';

const Slow = defineControlMethods('vault', { 'test.slow': { access: 'read', timeoutMs: 100, params: empty(), result: empty() } });

describe('control client', () => {
  let server: Server;
  let socketPath: string;

  beforeAll(async () => {
    socketPath = join(mkdtempSync(join(tmpdir(), 'raypher-client-')), 'control.sock');
    server = createServer((socket) => {
      const peer = new Peer(new SocketTransport(socket), { label: 'daemon' });
      peer.handle(Control.hello, () => ({ protocolVersion: PROTOCOL_VERSION, daemonVersion: 'test' }));
      peer.handle(Slow['test.slow'], () => new Promise<Record<string, never>>(() => undefined));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("waits the method's own timeout plus the hop margin, so the supervisor's timeout error arrives first", async () => {
    const client = await connectControl(socketPath, { name: 'test', version: '0' });
    const started = Date.now();
    const err = await client.call(Slow['test.slow'], {}).catch((e: unknown) => e);
    client.close();
    expect(err).toMatchObject({ code: 'ERR_IPC_TIMEOUT', message: expect.stringContaining(`within ${100 + CONTROL_HOP_MARGIN_MS} ms`) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100 + CONTROL_HOP_MARGIN_MS - 50);
  });
});
