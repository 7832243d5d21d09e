import { RaypherError } from '../errors/index.js';
import { Peer } from './peer.js';
import { Control, WorkerEvents, type MethodDef } from './protocol/index.js';
import { createMemoryPair } from './transports/memory.js';

function pair(guard?: (m: MethodDef<unknown, unknown>) => void) {
  const [a, b] = createMemoryPair();
  const errors: RaypherError[] = [];
  const server = new Peer(a, { label: 'server', ...(guard ? { guard } : {}), onProtocolError: (e) => errors.push(e) });
  const client = new Peer(b, { label: 'client', onProtocolError: (e) => errors.push(e) });
  return { server, client, a, b, errors };
}

describe('Peer', () => {
  it('answers a typed request', async () => {
    const { server, client } = pair();
    server.handle(Control['worker.start'], ({ worker }) => (worker === 'vault' ? {} : {}));
    await expect(client.call(Control['worker.start'], { worker: 'vault' })).resolves.toEqual({});
  });

  it('rejects bad params with ERR_IPC_BAD_PARAMS and keeps serving', async () => {
    const { server, client } = pair();
    server.handle(Control['worker.start'], () => ({}));
    const bad = client.call(Control['worker.start'], { worker: 'nope' as 'vault' });
    await expect(bad).rejects.toMatchObject({ code: 'ERR_IPC_BAD_PARAMS' });
    await expect(client.call(Control['worker.start'], { worker: 'proxy' })).resolves.toEqual({});
  });

  it('denies unknown methods', async () => {
    const { client } = pair();
    await expect(client.call(Control.status, {})).rejects.toMatchObject({ code: 'ERR_IPC_UNKNOWN_METHOD' });
  });

  it('rebuilds typed errors thrown by a handler', async () => {
    const { server, client } = pair();
    server.handle(Control['worker.stop'], () => {
      throw new RaypherError('ERR_WORKER_UNKNOWN', 'no such worker');
    });
    const err = await client.call(Control['worker.stop'], { worker: 'vault' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RaypherError);
    expect(err).toMatchObject({ code: 'ERR_WORKER_UNKNOWN', message: 'no such worker' });
  });

  it('applies the guard before the handler', async () => {
    const { server, client } = pair((m) => {
      if (m.access === 'admin') throw new RaypherError('ERR_CONTROL_DENIED', 'read only');
    });
    let ran = false;
    server.handle(Control['worker.stop'], () => ((ran = true), {}));
    await expect(client.call(Control['worker.stop'], { worker: 'vault' })).rejects.toMatchObject({ code: 'ERR_CONTROL_DENIED' });
    expect(ran).toBe(false);
  });

  it('times out a request nobody answers', async () => {
    const { server, client } = pair();
    server.handle(Control.status, () => new Promise(() => undefined));
    await expect(client.call(Control.status, {}, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'ERR_IPC_TIMEOUT' });
  });

  it('fails pending requests when the peer disconnects', async () => {
    const { server, client, a } = pair();
    server.handle(Control.status, () => new Promise(() => undefined));
    const pending = client.call(Control.status, {}, { timeoutMs: 10_000 });
    setTimeout(() => a.close(), 10);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_IPC_DISCONNECTED' });
  });

  it('fails pending requests with the reason a closing server gave (a deadline, a cap), not a bare disconnect', async () => {
    const { server, client, a } = pair();
    server.handle(Control.status, () => new Promise(() => undefined));
    const pending = client.call(Control.status, {}, { timeoutMs: 10_000 });
    // As on a socket, the error frame arrives before the end of the stream.
    setTimeout(() => void a.send({ t: 'res', id: 0, ok: false, e: { code: 'ERR_IPC_TOO_MANY_CONNECTIONS', message: 'control socket: at its limit' } }), 10);
    setTimeout(() => a.close(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_IPC_TOO_MANY_CONNECTIONS' });
  });

  it('rejects a result of the wrong shape with ERR_IPC_BAD_RESULT', async () => {
    const { server, client } = pair();
    server.handle(Control['config.reload'], () => ({ applied: 'all' }) as unknown as { applied: string[]; requiresRestart: string[] });
    await expect(client.call(Control['config.reload'], {})).rejects.toMatchObject({ code: 'ERR_IPC_BAD_RESULT' });
  });

  it('answers garbage with an error reply and keeps working', async () => {
    const { server, client, b, errors } = pair();
    server.handle(Control.status, () => new Promise(() => undefined));
    server.handle(Control['worker.start'], () => ({}));
    await b.sendRaw('{not json');
    await b.sendRaw('{"t":"req","id":"x","m":1}');
    await b.sendRaw('{"t":"bogus"}');
    await b.sendRaw('42');
    await expect(client.call(Control['worker.start'], { worker: 'vault' })).resolves.toEqual({});
    expect(errors.map((e) => e.code)).toContain('ERR_IPC_BAD_FRAME');
  });

  it('validates event payloads and drops bad ones', async () => {
    const { server, client, b, errors } = pair();
    const seen: number[] = [];
    server.on(WorkerEvents.heartbeat, ({ seq }) => seen.push(seq));
    client.emit(WorkerEvents.heartbeat, { seq: 1 });
    await b.sendRaw('{"t":"evt","n":"heartbeat","p":{"seq":"two"}}');
    client.emit(WorkerEvents.heartbeat, { seq: 3 });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([1, 3]);
    expect(errors.some((e) => e.code === 'ERR_IPC_BAD_FRAME')).toBe(true);
  });
});
