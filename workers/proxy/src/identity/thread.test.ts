// The identification thread over the Peer protocol: a thread that dies or hangs fails its calls closed with
// ERR_PROXY_IDENTITY_FAILED; one that died is started again, with the last entries. (Fixture threads use dist/.)
import { IDENTITY_TIMEOUTS_MS, IdentityMethods } from './protocol.js';
import { IdentityThread } from './thread.js';

const fixture = (name: string) => new URL(`../../../../tests/proxy/fixtures/${name}`, import.meta.url);
const connection = { kind: 'tcp' as const, client: { ip: '127.0.0.1', port: 40000 }, server: { ip: '127.0.0.1', port: 8888 } };
const rule = { id: 42, exePath: '/usr/bin/node', exeHash: 'h', uid: 0, family: 'node' as const, scriptPath: null, scriptHash: null, anyScript: true, inlineCode: false, trees: [], allowEnv: [], allowOptions: [], acceptProc: false, codeChanged: false };

describe('IdentityThread', () => {
  let thread: IdentityThread | undefined;
  afterEach(async () => {
    await thread?.close();
    thread = undefined;
  });

  it('a thread that dies mid-call fails it with ERR_PROXY_IDENTITY_FAILED; the next call gets a fresh thread with the last entries', async () => {
    thread = new IdentityThread(null, { entry: fixture('identity-thread-dies.mjs'), timeoutsMs: IDENTITY_TIMEOUTS_MS });
    await thread.call(IdentityMethods.entries, { entries: [rule], manifests: [] });
    await expect(thread.call(IdentityMethods.identify, { connection, connectedNs: 1n })).rejects.toMatchObject({ code: 'ERR_PROXY_IDENTITY_FAILED' });
    await expect(thread.call(IdentityMethods.posture, {})).resolves.toMatchObject({ entries_uid_any: [42] });
  });

  it('a thread that hangs fails the call with ERR_PROXY_IDENTITY_FAILED once its timeout passes', async () => {
    thread = new IdentityThread(null, { entry: fixture('identity-thread-hangs.mjs'), timeoutsMs: { ...IDENTITY_TIMEOUTS_MS, identify: 100 } });
    const t = performance.now();
    await expect(thread.call(IdentityMethods.identify, { connection, connectedNs: 1n })).rejects.toMatchObject({ code: 'ERR_PROXY_IDENTITY_FAILED' });
    expect(performance.now() - t).toBeGreaterThanOrEqual(90);
  });

  it('answers of the thread itself pass through with their own code', async () => {
    thread = new IdentityThread(null, { entry: fixture('identity-thread-hangs.mjs'), timeoutsMs: IDENTITY_TIMEOUTS_MS });
    await expect(thread.call(IdentityMethods.hash, { paths: ['/nope'] })).rejects.toMatchObject({ code: 'ERR_PROXY_ALLOW_INVALID', message: '/nope is not a file' });
  });
});
