import { RaypherError } from '../errors/index.js';
import { serveOwnedMethods, type HandlerHost, type OwnedHandlers } from './owned-methods.js';
import { Peer } from './peer.js';
import { Control, forwarded, type AllowEntryInfo, type IdentityPosture } from './protocol/index.js';
import { createMemoryPair } from './transports/memory.js';

const panicState = { engaged: false, reason: null, changedAt: null, changedBy: null };
const entry: AllowEntryInfo = { id: 1, exePath: '/bin/a', exeHash: 'h', name: null, uid: 0, family: 'binary', scriptPath: null, scriptHash: null, anyScript: false, inlineCode: false, trees: [], treeFiles: 0, allowEnv: [], allowOptions: [], procFallback: false, codeChanged: false, rateLimit: null, addedAt: 't', addedBy: 'b', warnings: [] };
const posture: IdentityPosture = { exec_ledger: 'active', exec_ledger_reason: null, ptrace_scope: 1, entries_uid_any: [], entries_code_writable: [], warnings: [] };

/** Every proxy-owned method, each answering something valid; panic.engage echoes who asked. */
const proxyHandlers: OwnedHandlers<'proxy'> = {
  'allow.add': () => entry,
  'allow.refresh': () => entry,
  'allow.list': () => ({ entries: [] }),
  'allow.remove': () => entry,
  'identity.posture': () => posture,
  'panic.engage': ({ caller, args }) => ({ ...panicState, engaged: true, reason: args.reason, changedBy: `uid ${caller?.uid}` }),
  'panic.release': () => panicState,
  'panic.status': () => panicState,
  'usage.report': () => ({ since: 't', lines: [], pricesAsOf: 't' }),
};

describe('serveOwnedMethods', () => {
  it('serves every method the worker owns, on the forwarded hop with the caller', async () => {
    const [a, b] = createMemoryPair();
    const worker = new Peer(a, { label: 'worker proxy' });
    const supervisor = new Peer(b, { label: 'supervisor' });
    serveOwnedMethods(worker, 'proxy', proxyHandlers);
    const engaged = await supervisor.call(forwarded(Control['panic.engage']), { caller: { uid: 1000, pid: 9 }, args: { reason: 'drill' } });
    expect(engaged).toMatchObject({ engaged: true, reason: 'drill', changedBy: 'uid 1000' });
    await expect(supervisor.call(forwarded(Control['allow.list']), { caller: null, args: {} })).resolves.toEqual({ entries: [] });
    // Not the proxy's: never registered there.
    await expect(supervisor.call(forwarded(Control['vault.list']), { caller: null, args: {} })).rejects.toMatchObject({ code: 'ERR_IPC_UNKNOWN_METHOD' });
  });

  it('is a compile error to forget a method or to serve one the worker does not own', () => {
    const host: HandlerHost = { handle: () => undefined };
    const { 'panic.status': _forgotten, ...missingOne } = proxyHandlers;
    // @ts-expect-error panic.status has no handler
    expect(() => serveOwnedMethods(host, 'proxy', missingOne)).toThrow(/the proxy worker has no handler for panic\.status/);
    // @ts-expect-error vault.list belongs to the vault worker
    serveOwnedMethods(host, 'proxy', { ...proxyHandlers, 'vault.list': () => ({ secrets: [] }) });
  });

  it('refuses at start-up a table that lost a handler on the way (a cast, a spread of the wrong object)', () => {
    const host: HandlerHost = { handle: () => undefined };
    const err = (() => {
      try {
        serveOwnedMethods(host, 'proxy', { ...proxyHandlers, 'allow.add': undefined } as unknown as OwnedHandlers<'proxy'>);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(RaypherError);
    expect(err).toMatchObject({ code: 'ERR_INTERNAL_UNEXPECTED' });
  });
});
