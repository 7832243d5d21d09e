import { Control, createMemoryPair, defineControlMethods, forwarded, int, nullable, object, Peer, str } from '@raypher/shared/ipc';
import { buildRoutes, forwardedRoutes, type SupervisorRoutes, type WorkerLookup } from './routes.js';

/** A proxy-owned method that exists only in this test: routes.ts has never heard of it. */
const Probe = defineControlMethods('proxy', {
  'probe.echo': { access: 'read', timeoutMs: 1_234, params: object({ text: str() }), result: object({ text: str(), uid: nullable(int()) }) },
  'probe.silent': { access: 'read', timeoutMs: 50, params: object({}), result: object({}) },
});

/** The worker processes, with one real peer (over the memory transport) standing in for each. */
function workersOver(peer: Peer): WorkerLookup & { asked: Array<{ worker: string; timeoutMs: number }> } {
  const asked: Array<{ worker: string; timeoutMs: number }> = [];
  return {
    asked,
    get: (worker) => ({
      call: (def, params, timeoutMs) => {
        asked.push({ worker, timeoutMs });
        return peer.call(def, params, { timeoutMs });
      },
    }),
  };
}

function proxyWorker() {
  const [a, b] = createMemoryPair();
  const worker = new Peer(a, { label: 'worker proxy' });
  worker.handle(forwarded(Probe['probe.echo']), ({ caller, args }) => ({ text: args.text, uid: caller?.uid ?? null }));
  worker.handle(forwarded(Probe['probe.silent']), () => new Promise<Record<string, never>>(() => undefined));
  return workersOver(new Peer(b, { label: 'supervisor' }));
}

describe('control routes', () => {
  it('forwards a method to the worker its definition names, with the caller, within its own timeout', async () => {
    const workers = proxyWorker();
    const routes = forwardedRoutes(Probe, workers);
    await expect(routes['probe.echo']({ text: 'hi' }, { caller: { uid: 1000, pid: 42 } })).resolves.toEqual({ text: 'hi', uid: 1000 });
    expect(workers.asked).toEqual([{ worker: 'proxy', timeoutMs: 1_234 }]);
    await expect(routes['probe.silent']({}, { caller: null })).rejects.toMatchObject({ code: 'ERR_IPC_TIMEOUT', message: expect.stringContaining('within 50 ms') });
  });

  it('has a route for every control method, and sends the workers theirs', async () => {
    const asked: string[] = [];
    const workers = {
      get: (name: string): never => {
        asked.push(name);
        throw new Error('stop here');
      },
    };
    const unused = () => Promise.reject(new Error('not called'));
    const routes = buildRoutes({ version: '1', logDir: '/nonexistent', workers, status: unused, health: unused, reload: unused, slots: { apply: unused, rollback: unused, table: () => { throw new Error('not called'); } } });
    expect(Object.keys(routes).sort()).toEqual(Object.keys(Control).sort());
    await expect(routes['vault.status']({}, { caller: null })).rejects.toThrow('stop here');
    await expect(routes['panic.status']({}, { caller: null })).rejects.toThrow('stop here');
    expect(asked).toEqual(['vault', 'proxy']);
  });

  it('is a compile error to leave a supervisor-owned method without a handler, or to hand-write a forwarded one', () => {
    const ok = () => ({});
    // @ts-expect-error status, health, logs.read, ... have no handler
    const missing: SupervisorRoutes = { hello: () => ({ protocolVersion: 0, daemonVersion: '' }) };
    // @ts-expect-error vault.seal belongs to the vault worker: it is forwarded, not routed here
    const extra: Partial<SupervisorRoutes> = { 'vault.seal': ok };
    expect([missing, extra]).toHaveLength(2);
  });
});
