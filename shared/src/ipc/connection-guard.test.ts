// The guard on a real Unix socket server with short limits: deadlines, caps, eviction order.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionGuard } from './connection-guard.js';
import { defineMethods } from './define.js';
import { encodeFrame, FrameDecoder } from './framing.js';
import { Peer } from './peer.js';
import { empty, int, object } from './schema.js';
import type { SocketLimits } from './socket-limits.js';
import { SocketTransport } from './transports/socket.js';

const LIMITS: SocketLimits = {
  maxConnections: 4,
  maxPerUid: 3,
  burstAllowance: 4,
  helloDeadlineMs: 300,
  frameDeadlineMs: 300,
  newcomerGraceMs: 100,
  idleMs: 400,
  sweepMs: 20,
  closeGraceMs: 10,
};

const Test = defineMethods({
  hello: { access: 'read', params: empty(), result: empty() },
  sleep: { access: 'read', params: object({ ms: int({ min: 0 }) }), result: empty() },
});

interface Harness {
  path: string;
  guard: ConnectionGuard;
  warnings: Array<Record<string, unknown>>;
  /** The uid and privilege the server assigns to the next connection it accepts (in connect order). */
  callers: Array<{ uid: number; privileged: boolean }>;
  server: Server;
}

let h: Harness;
const clients: Socket[] = [];

beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'raypher-guard-'));
  const warnings: Array<Record<string, unknown>> = [];
  const guard = new ConnectionGuard({ name: 'test socket', limits: LIMITS, warn: (_m, meta) => warnings.push(meta) });
  const callers: Harness['callers'] = [];
  const server = createServer((socket) => {
    const conn = guard.admit(socket, callers.shift() ?? { uid: 1000, privileged: false });
    if (!conn) return;
    const peer = new Peer(conn.transport(new SocketTransport(socket)), { label: 'test server' });
    peer.handle(Test.hello, () => (conn.markGreeted(), {}));
    peer.handle(Test.sleep, ({ ms }) => new Promise((r) => setTimeout(() => r({}), ms)));
  });
  const path = join(dir, 's.sock');
  await new Promise<void>((r) => server.listen(path, r));
  h = { path, guard, warnings, callers, server };
});

afterEach(async () => {
  for (const s of clients.splice(0)) s.destroy();
  h.guard.stop();
  await new Promise((r) => h.server.close(r));
  rmSync(join(h.path, '..'), { recursive: true, force: true });
});

interface Client {
  socket: Socket;
  frames: Array<{ id?: number; ok?: boolean; e?: { code: string } }>;
  closed: Promise<number>;
  send(value: unknown): void;
}

/** Connects (as the given caller) and records every frame and when the server hung up. */
async function open(caller = { uid: 1000, privileged: false }): Promise<Client> {
  h.callers.push(caller);
  const socket = connect(h.path);
  clients.push(socket);
  await new Promise((r) => socket.once('connect', r));
  const frames: Client['frames'] = [];
  const decoder = new FrameDecoder(1 << 20, { onFrame: (v) => frames.push(v as Client['frames'][number]), onBadFrame: () => undefined, onFatal: () => undefined });
  socket.on('data', (d: Buffer) => decoder.push(d));
  socket.on('error', () => undefined);
  const started = Date.now();
  const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - started)));
  return { socket, frames, closed, send: (v) => socket.write(encodeFrame(v, 1 << 20)) };
}

async function greeted(caller?: { uid: number; privileged: boolean }): Promise<Client> {
  const c = await open(caller);
  c.send({ t: 'req', id: 1, m: 'hello', p: {} });
  await until(() => c.frames.some((f) => f.id === 1 && f.ok));
  return c;
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isOpen = (c: Client) => !c.socket.destroyed && !c.socket.readableEnded;
const closedWith = (c: Client) => c.frames.find((f) => f.id === 0)?.e?.code;

describe('ConnectionGuard', () => {
  it('closes a connection that sends no hello by the hello deadline, and keeps a greeted one', async () => {
    const silent = await open();
    const ok = await greeted();
    const took = await silent.closed;
    expect(closedWith(silent)).toBe('ERR_IPC_IDLE_TIMEOUT');
    expect(took).toBeGreaterThanOrEqual(LIMITS.helloDeadlineMs - 20);
    expect(isOpen(ok)).toBe(true);
    expect(h.warnings).toContainEqual({ reason: 'hello_deadline', code: 'ERR_IPC_IDLE_TIMEOUT', uid: 1000 });
  });

  it('cuts a slowloris frame (one byte at a time) at the frame deadline, though bytes keep coming', async () => {
    const c = await greeted();
    const frame = encodeFrame({ t: 'req', id: 2, m: 'sleep', p: { ms: 0 } }, 1 << 20);
    let i = 0;
    const drip = setInterval(() => i < frame.length && c.socket.write(frame.subarray(i, ++i)), 40);
    const took = await c.closed;
    clearInterval(drip);
    // The server frees the descriptor at once (a flood must not hold them): a byte the client sends after that draws a
    // reset, which can discard the error frame before a busy client read it. The cut and its reason are what count.
    expect([undefined, 'ERR_IPC_IDLE_TIMEOUT']).toContain(closedWith(c));
    expect(took).toBeLessThan(LIMITS.frameDeadlineMs + 250);
    expect(h.warnings.map((w) => w.reason)).toEqual(['frame_deadline']);
  });

  it('closes a greeted connection idle past idleMs, but not one waiting for a reply or sending complete frames', async () => {
    const idle = await greeted();
    const waiting = await greeted();
    waiting.send({ t: 'req', id: 2, m: 'sleep', p: { ms: LIMITS.idleMs * 2 } });
    const chatty = await greeted();
    const chat = setInterval(() => chatty.send({ t: 'req', id: 3, m: 'sleep', p: { ms: 0 } }), 100);
    await idle.closed;
    expect(closedWith(idle)).toBe('ERR_IPC_IDLE_TIMEOUT');
    await until(() => waiting.frames.some((f) => f.id === 2 && f.ok), 3000);
    clearInterval(chat);
    expect(isOpen(chatty)).toBe(true);
    expect(h.warnings.map((w) => w.reason)).toEqual(['idle']);
  });

  it('at the cap, a newcomer evicts the oldest connection without a hello instead of being refused', async () => {
    const silent = [];
    for (let uid = 1; uid <= LIMITS.maxConnections; uid++) silent.push(await open({ uid, privileged: false }));
    const admin = await greeted({ uid: 0, privileged: true });
    await silent[0]!.closed;
    expect(closedWith(silent[0]!)).toBe('ERR_IPC_TOO_MANY_CONNECTIONS');
    expect(silent.slice(1).every(isOpen)).toBe(true);
    expect(isOpen(admin)).toBe(true);
    expect(h.guard.size).toBe(LIMITS.maxConnections);
  });

  it('caps one uid, evicting its own oldest silent connection, even when the flood shares the admin uid', async () => {
    const flood = [];
    for (let i = 0; i < LIMITS.maxPerUid; i++) flood.push(await open({ uid: 0, privileged: true }));
    const other = await open({ uid: 5, privileged: false });
    const admin = await greeted({ uid: 0, privileged: true });
    await flood[0]!.closed;
    expect(closedWith(flood[0]!)).toBe('ERR_IPC_TOO_MANY_CONNECTIONS');
    expect(isOpen(other)).toBe(true);
    expect(isOpen(admin)).toBe(true);
    expect(h.warnings).toContainEqual({ reason: 'evicted', code: 'ERR_IPC_TOO_MANY_CONNECTIONS', uid: 0 });
  });

  it('evicts greeted idle connections once none is silent, and never a privileged one before the others', async () => {
    const admin = await greeted({ uid: 0, privileged: true });
    const users = [];
    for (let uid = 1; uid < LIMITS.maxConnections; uid++) users.push(await greeted({ uid, privileged: false }));
    const late = await greeted({ uid: 9, privileged: false });
    await users[0]!.closed;
    expect(closedWith(users[0]!)).toBe('ERR_IPC_TOO_MANY_CONNECTIONS');
    expect(isOpen(admin)).toBe(true);
    expect(isOpen(late)).toBe(true);
  });

  it('lets a burst in for one turn, then trims it back to the cap; past the burst allowance it refuses', async () => {
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => open({ uid: 100 + i, privileged: false })));
    await until(() => h.guard.size <= LIMITS.maxConnections);
    await sleep(50);
    const codes = burst.map(closedWith).filter(Boolean);
    expect(codes.length).toBe(12 - LIMITS.maxConnections);
    expect(new Set(codes)).toEqual(new Set(['ERR_IPC_TOO_MANY_CONNECTIONS']));
  });
});
