// The control and vault sockets under hostile clients: floods, slowloris, hello-then-silence; the admin still gets in.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROL_SOCKET_LIMITS, VAULT_SOCKET_LIMITS } from '@raypher/shared/ipc';
import { ctl, Daemon, killAll, makeHome, waitFor } from '../helpers/daemon.js';
import { HELLO, partialFrame, RawClient } from '../helpers/raw-client.js';
import { allow, NODE, startProxy } from '../proxy/harness.js';
import { runAgent, writeAgent } from '../proxy/agent.js';
import { Upstream } from '../proxy/upstream.js';

afterEach(killAll);

const FLOOD = 100;
const VAULT_FLOOD = 500;
/** Connections accepted in one I/O turn are trimmed on the next (they get a turn to say hello): a little over the cap. */
const VAULT_BURST_SLACK = 32;

async function flood(path: string, n: number, first: (c: RawClient) => Promise<void> | void): Promise<RawClient[]> {
  const out: RawClient[] = [];
  for (let i = 0; i < n; i++) {
    const c = await RawClient.connect(path).catch(() => null);
    if (!c) continue;
    await first(c);
    out.push(c);
  }
  return out;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

const codes = (clients: RawClient[]) => clients.map((c) => c.connectionError).filter((c): c is string => c !== undefined);
const openFiles = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

describe('control socket under hostile clients', () => {
  it(`lets an admin panic, check status and release while ${FLOOD} connections hold partial frames`, async () => {
    const home = makeHome();
    const d = await Daemon.start(home);
    const sock = join(home, 'run', 'control.sock');
    const baseline = await timed(() => ctl(home, ['status', '--json']));
    const floodStarted = Date.now();
    const slow = await flood(sock, FLOOD, (c) => c.sendBytes(partialFrame()));

    const status = await timed(() => ctl(home, ['status', '--json']));
    const panic = await timed(() => ctl(home, ['panic', '--reason', 'flood drill']));
    expect([status.value.code, status.value.stderr]).toEqual([0, '']);
    expect([panic.value.code, panic.value.stderr]).toEqual([0, '']);
    // Got in by eviction, not because the hello deadline had already emptied the socket.
    expect(Date.now() - floodStarted).toBeLessThan(CONTROL_SOCKET_LIMITS.helloDeadlineMs);
    expect(codes(slow)).not.toContain('ERR_IPC_IDLE_TIMEOUT');
    expect(codes(slow).length).toBeGreaterThanOrEqual(FLOOD - CONTROL_SOCKET_LIMITS.maxPerUid);
    expect(new Set(codes(slow))).toEqual(new Set(['ERR_IPC_TOO_MANY_CONNECTIONS']));
    process.stdout.write(`admin under a ${FLOOD}-connection flood: status ${status.ms} ms, panic ${panic.ms} ms (no flood: status ${baseline.ms} ms; raypherctl start-up included)\n`);

    expect(JSON.parse((await ctl(home, ['panic', 'status', '--json'])).stdout)).toMatchObject({ engaged: true });
    expect((await ctl(home, ['panic', 'release'])).code).toBe(0);

    // The survivors never sent a hello: the hello deadline closes them.
    await Promise.all(slow.map((c) => c.whenClosed));
    expect(new Set(codes(slow))).toEqual(new Set(['ERR_IPC_TOO_MANY_CONNECTIONS', 'ERR_IPC_IDLE_TIMEOUT']));
    expect(d.proc.exitCode).toBeNull();
    await d.stop();
  });

  it('lets an admin in while connections that said hello and then nothing fill the socket', async () => {
    const home = makeHome();
    const d = await Daemon.start(home);
    const sock = join(home, 'run', 'control.sock');
    const silent = await flood(sock, CONTROL_SOCKET_LIMITS.maxConnections + 8, async (c) => {
      c.send(HELLO);
      await c.next();
    });
    const status = await timed(() => ctl(home, ['status', '--json']));
    expect(status.value.code).toBe(0);
    expect(silent.filter((c) => !c.closed).length).toBeLessThanOrEqual(CONTROL_SOCKET_LIMITS.maxPerUid);
    expect(new Set(codes(silent))).toEqual(new Set(['ERR_IPC_TOO_MANY_CONNECTIONS']));
    await d.stop();
  });

  it('cuts slowloris clients (one byte a second) at the hello and frame deadlines', async () => {
    const home = makeHome();
    const d = await Daemon.start(home);
    const sock = join(home, 'run', 'control.sock');
    const greeted = await RawClient.connect(sock);
    greeted.send(HELLO);
    expect(await greeted.next()).toMatchObject({ id: 1, ok: true });
    const ungreeted = await RawClient.connect(sock);
    const frame = Buffer.from(JSON.stringify({ t: 'req', id: 2, m: 'status', p: {} }));
    const bytes = Buffer.concat([Buffer.from([0, 0, 0, frame.length]), frame]);
    let i = 0;
    const started = Date.now();
    const drip = setInterval(() => {
      for (const c of [greeted, ungreeted]) if (!c.closed) c.sendBytes(bytes.subarray(i, i + 1));
      i++;
    }, 1000);
    const [greetedMs, ungreetedMs] = await Promise.all([greeted, ungreeted].map((c) => c.whenClosed.then(() => Date.now() - started)));
    clearInterval(drip);
    expect([greeted.connectionError, ungreeted.connectionError]).toEqual(['ERR_IPC_IDLE_TIMEOUT', 'ERR_IPC_IDLE_TIMEOUT']);
    for (const ms of [greetedMs!, ungreetedMs!]) {
      expect(ms).toBeGreaterThanOrEqual(CONTROL_SOCKET_LIMITS.frameDeadlineMs - 1000);
      expect(ms).toBeLessThan(CONTROL_SOCKET_LIMITS.frameDeadlineMs + 2000);
    }
    const log = await waitFor(async () => {
      const text = readdirSync(join(home, 'logs')).filter((f) => f.startsWith('supervisor-')).map((f) => readFileSync(join(home, 'logs', f), 'utf8')).join('');
      return /frame_deadline/.test(text) && /hello_deadline/.test(text) ? text : undefined;
    }, 5000, 'the closes in the supervisor log');
    expect(log).toMatch(/"reason":"frame_deadline"/);
    expect((await ctl(home, ['status'])).code).toBe(0);
    await d.stop();
  });
});

describe('vault socket under hostile clients', () => {
  let upstream: Upstream;
  beforeEach(async () => {
    upstream = await Upstream.start();
  });
  afterEach(() => upstream.close());

  it('keeps its open files bounded under a flood of silent connections, and the proxy still gets its key', async () => {
    const { home, d, key, base } = await startProxy(upstream);
    const agent = writeAgent();
    expect((await allow(home, ['--exe-path', NODE, '--script', agent, '--name', 'flood-agent'])).code).toBe(0);
    const vaultPid = (await d.status()).workers.find((w) => w.name === 'vault')!.pid!;
    const before = openFiles(vaultPid);

    // Connects succeed once queued in the listen backlog; the vault accepts them at its own pace, so sample
    // its descriptors until the whole flood has been accepted and trimmed.
    const silent = await flood(join(home, 'run', 'vault.sock'), VAULT_FLOOD, () => undefined);
    let peak = openFiles(vaultPid);
    await waitFor(async () => {
      peak = Math.max(peak, openFiles(vaultPid));
      return silent.filter((c) => !c.closed).length <= VAULT_SOCKET_LIMITS.maxConnections;
    }, 15_000, 'the vault to trim the flood to its cap');
    process.stdout.write(`vault open files: ${before} before, peak ${peak} under a ${VAULT_FLOOD}-connection flood\n`);
    expect(peak).toBeLessThanOrEqual(before + VAULT_SOCKET_LIMITS.maxConnections + VAULT_BURST_SLACK);
    expect(new Set(codes(silent))).toEqual(new Set(['ERR_IPC_TOO_MANY_CONNECTIONS']));

    // The proxy's first key request opens a new vault connection in the middle of the flood.
    const ok = (await runAgent(NODE, agent, ['request', `${base}/v1/chat/completions`])) as { status: number };
    expect(ok.status).toBe(200);
    expect(upstream.seen.at(-1)!.headers.authorization === `Bearer ${key}`).toBe(true);
    await d.stop();
  });
});
