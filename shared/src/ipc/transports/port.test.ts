import { MessageChannel } from 'node:worker_threads';
import { defineMethods } from '../define.js';
import { Peer } from '../peer.js';
import { object, str, type Schema } from '../schema.js';
import { PortTransport } from './port.js';

const anyValue: Schema<unknown> = { describe: 'any', parse: (v) => v };
const Test = defineMethods({
  echo: { access: 'read', params: object({ value: anyValue }), result: anyValue },
  never: { access: 'read', params: object({ why: str() }), result: anyValue },
});

function pair() {
  const { port1, port2 } = new MessageChannel();
  const server = new Peer(new PortTransport(port1), { label: 'server' });
  const client = new Peer(new PortTransport(port2), { label: 'client' });
  server.handle(Test.echo, ({ value }) => value);
  server.handle(Test.never, () => new Promise(() => undefined));
  return { server, client, port1, port2 };
}

describe('PortTransport', () => {
  it('carries requests and replies by structured clone (a bigint arrives as a bigint)', async () => {
    const { server, client } = pair();
    await expect(client.call(Test.echo, { value: { ns: 123n, list: [1, 'a'] } })).resolves.toEqual({ ns: 123n, list: [1, 'a'] });
    server.close();
  });

  it('fails pending requests with ERR_IPC_DISCONNECTED when the other end closes, and refuses to send after', async () => {
    const { server, client } = pair();
    const pending = client.call(Test.never, { why: 'held' });
    server.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_IPC_DISCONNECTED' });
    expect(client.closed).toBe(true);
    await expect(client.call(Test.echo, { value: 1 })).rejects.toMatchObject({ code: 'ERR_IPC_DISCONNECTED' });
  });

  it('a value structured clone cannot copy fails that request only', async () => {
    const { server, client } = pair();
    await expect(client.call(Test.echo, { value: () => 1 })).rejects.toMatchObject({ code: 'ERR_IPC_BAD_FRAME' });
    await expect(client.call(Test.echo, { value: 2 })).resolves.toBe(2);
    server.close();
  });

  it("the Peer's timeout applies to a request the other end never answers", async () => {
    const { server, client } = pair();
    await expect(client.call(Test.never, { why: 'hung' }, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'ERR_IPC_TIMEOUT' });
    server.close();
  });
});
