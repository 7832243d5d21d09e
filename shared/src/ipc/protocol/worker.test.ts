import { defaultConfig } from '../../config/index.js';
import type { RaypherError } from '../../errors/index.js';
import { homePaths } from '../../paths/index.js';
import { Peer } from '../peer.js';
import { createMemoryPair } from '../transports/memory.js';
import { PROTOCOL_VERSION } from './envelopes.js';
import { WORKER_CHANNELS, WORKER_GRANTS, workerConfigFor, workerInitFor, type HandoutSources, type WorkerConfig } from './worker.js';

const sources: HandoutSources = { config: defaultConfig(), paths: homePaths('/tmp/raypher-home', 'user'), vaultToken: 'ab'.repeat(32) };
const plain = (value: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

describe('worker init: what each worker is handed', () => {
  it('hands the vault its sections, its paths and the vault token, and the result passes its schema', () => {
    const init = plain(workerInitFor('vault', sources));
    expect(Object.keys(init.config as object).sort()).toEqual(['audit', 'logging', 'vault']);
    expect(init.paths).toEqual({ logDir: '/tmp/raypher-home/logs', dataDir: '/tmp/raypher-home/data', db: '/tmp/raypher-home/data/raypher.db', vaultDb: '/tmp/raypher-home/data/vault.db', hostKey: '/tmp/raypher-home/data/host.key', tpmDir: '/tmp/raypher-home/data/tpm', vaultSocket: '/tmp/raypher-home/run/vault.sock' });
    expect(init.vaultToken).toBe(sources.vaultToken);
    expect(WORKER_CHANNELS.vault.hello.result.parse(init)).toEqual(init);
  });

  it('hands the scanner neither the vault token nor other workers\' sections (the [proxy] one for provider key shapes), only the databases it reads', () => {
    const init = plain(workerInitFor('scanner', sources));
    expect(init).toEqual({ worker: 'scanner', heartbeatIntervalMs: 1000, config: plain({ logging: sources.config.logging, watchtower: sources.config.watchtower, proxy: sources.config.proxy }), paths: { logDir: '/tmp/raypher-home/logs', db: '/tmp/raypher-home/data/raypher.db', vaultDb: '/tmp/raypher-home/data/vault.db' } });
    expect(WORKER_CHANNELS.scanner.hello.result.parse(init)).toEqual(init);
  });

  it.each([
    ['scanner', (i: Record<string, unknown>) => ({ ...i, vaultToken: 'ab'.repeat(32) }), /vaultToken: expected no such field/],
    ['vault', ({ vaultToken: _token, ...i }: Record<string, unknown>) => i, /vaultToken: expected a string/],
    ['proxy', (i: Record<string, unknown>) => ({ ...i, vaultToken: 'not-hex' }), /vaultToken: expected a string matching/],
    ['proxy', (i: Record<string, unknown>) => ({ ...i, worker: 'vault' }), /worker: expected one of proxy/],
    ['proxy', (i: Record<string, unknown>) => ({ ...i, config: { ...(i.config as object), vault: plain(sources.config.vault) } }), /config\.vault: expected none of the proxy worker's sections \(logging, proxy\)/],
    ['proxy', (i: Record<string, unknown>) => ({ ...i, config: { logging: (i.config as Record<string, unknown>).logging } }), /config\.proxy: expected the config section/],
    ['proxy', (i: Record<string, unknown>) => ({ ...i, config: { ...(i.config as object), proxy: { listen_port: 'x' } } }), /supervisor: proxy\.listen_port = "x" is not allowed/],
    ['proxy', (i: Record<string, unknown>) => ({ ...i, config: { ...(i.config as object), proxy: { listen_addr: '10.0.0.1' } } }), /proxy\.listen_addr = "10\.0\.0\.1" is not a loopback address/],
    ['proxy', (i: Record<string, unknown>) => ({ ...i, paths: { ...(i.paths as object), vaultDb: '/x' } }), /paths\.vaultDb: expected no such field/],
    ['proxy', (i: Record<string, unknown>) => ({ ...i, paths: { logDir: '/l', runDir: '/r', db: '/d' } }), /paths\.vaultSocket: expected a string/],
  ] as const)('refuses a %s init that breaks its grant (%#)', (worker, change, message) => {
    const init = change(plain(workerInitFor(worker, sources)));
    expect(() => WORKER_CHANNELS[worker].hello.result.parse(init)).toThrow(message);
  });

  it('grants the listening sockets to the proxy only, the vault token to the vault and proxy only, bundleStaged to the updater only', () => {
    expect(Object.entries(WORKER_GRANTS).filter(([, g]) => g.listeners).map(([w]) => w)).toEqual(['proxy']);
    expect(Object.entries(WORKER_GRANTS).filter(([, g]) => g.vaultToken).map(([w]) => w)).toEqual(['vault', 'proxy']);
    expect(Object.entries(WORKER_GRANTS).filter(([, g]) => g.events.length > 0).map(([w, g]) => [w, g.events])).toEqual([['updater', ['bundleStaged']]]);
  });
});

describe('worker channel over a link', () => {
  function link() {
    const [a, b] = createMemoryPair();
    const errors: RaypherError[] = [];
    const supervisor = new Peer(a, { label: 'supervisor' });
    const worker = new Peer(b, { label: 'worker proxy', onProtocolError: (e) => errors.push(e) });
    return { supervisor, worker, errors };
  }
  const hello = { protocolVersion: PROTOCOL_VERSION, worker: 'proxy' as const, pid: 1 };

  it('the worker gets its typed init', async () => {
    const { supervisor, worker } = link();
    supervisor.handle(WORKER_CHANNELS.proxy.hello, () => workerInitFor('proxy', sources));
    const init = await worker.call(WORKER_CHANNELS.proxy.hello, hello);
    expect(init.config.proxy.listen_port).toBe(8888);
    expect(init.paths.vaultSocket).toBe('/tmp/raypher-home/run/vault.sock');
    expect(init.vaultToken).toBe(sources.vaultToken);
  });

  it('the worker refuses an init made for another worker with ERR_IPC_BAD_RESULT', async () => {
    const { supervisor, worker } = link();
    // The scanner's init (no vault token, no proxy section) answered to the proxy's hello.
    supervisor.handle(WORKER_CHANNELS.scanner.hello, () => workerInitFor('scanner', sources));
    await expect(worker.call(WORKER_CHANNELS.proxy.hello, hello)).rejects.toMatchObject({ code: 'ERR_IPC_BAD_RESULT', message: expect.stringMatching(/^hello: worker: expected one of proxy/) });
  });

  it('a config change carries the worker\'s sections only; anything else is dropped as a protocol error', async () => {
    const { supervisor, worker, errors } = link();
    const seen: Array<WorkerConfig<'proxy'>> = [];
    worker.on(WORKER_CHANNELS.proxy.configChanged, (config) => seen.push(config));
    supervisor.emit(WORKER_CHANNELS.proxy.configChanged, workerConfigFor('proxy', sources.config));
    supervisor.emit(WORKER_CHANNELS.vault.configChanged, workerConfigFor('vault', sources.config));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.map((c) => Object.keys(c).sort())).toEqual([['logging', 'proxy']]);
    expect(errors.map((e) => e.code)).toEqual(['ERR_IPC_BAD_FRAME']);
  });
});
