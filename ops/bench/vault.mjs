#!/usr/bin/env node
// Vault benchmark: unseal from another process over the vault socket (p50/p99 over N calls), and the
// data-key unwrap at start with each protector on a real swtpm. Run `npm run build` first.
// Usage: node ops/bench/vault.mjs [--calls 10000]
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AuditLedger, openRaypherDb } from '@raypher/shared/db';
import { createLogger } from '@raypher/shared/logging';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (f) => pathToFileURL(join(REPO, 'workers', 'vault', 'dist', f)).href;
const { Keyring } = await import(dist('keyring.js'));
const { Tpm2 } = await import(dist('protectors/tpm2.js'));
const { VaultStore } = await import(dist('store.js'));
const { VaultService } = await import(dist('vault-service.js'));
const { startVaultSocket } = await import(dist('vault-socket.js'));

const { values } = parseArgs({ options: { calls: { type: 'string', default: '10000' } } });
const CALLS = Number(values.calls);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function startSwtpm() {
  const state = mkdtempSync(join(tmpdir(), 'raypher-bench-tpm-'));
  const port = await freePort();
  const proc = spawn('swtpm', ['socket', '--tpm2', '--tpmstate', `dir=${state}`, '--server', `type=tcp,port=${port},bindaddr=127.0.0.1`, '--ctrl', `type=tcp,port=${port + 1},bindaddr=127.0.0.1`, '--flags', 'not-need-init,startup-clear'], { stdio: 'ignore' });
  const tcti = `swtpm:host=127.0.0.1,port=${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('tpm2_getcap', ['properties-fixed'], { env: { ...process.env, TPM2TOOLS_TCTI: tcti }, stdio: 'ignore' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { proc, tcti };
}

async function openVault(home, protector, tcti) {
  const store = await VaultStore.open(join(home, 'vault.db'));
  const tpm = new Tpm2({ tcti, dir: join(home, 'tpm'), pcrs: '' });
  const keyring = new Keyring({ store, tpm, hostKeyPath: join(home, 'host.key'), uid: process.getuid(), configuredProtector: protector });
  const t0 = performance.now();
  await keyring.open();
  return { store, keyring, ms: performance.now() - t0 };
}

const tpm = await startSwtpm();
const logger = createLogger({ process: 'bench', dir: mkdtempSync(join(tmpdir(), 'raypher-bench-logs-')), level: 'error', rotation: 'daily', retentionDays: 1, console: false });

// 1. Data-key unwrap at start, per protector (first start creates; second start is the measured unwrap).
const unwrap = {};
for (const protector of ['host', 'tpm2', 'host+tpm2']) {
  const home = mkdtempSync(join(tmpdir(), 'raypher-bench-vault-'));
  const first = await openVault(home, protector, tpm.tcti);
  await first.store.close();
  const samples = [];
  for (let i = 0; i < 5; i++) {
    const again = await openVault(home, protector, tpm.tcti);
    samples.push(again.ms);
    await again.store.close();
  }
  unwrap[protector] = { create: first.ms, p50: pct(samples, 50), max: Math.max(...samples) };
}

// 2. Unseal over the vault socket from a child process.
const home = mkdtempSync(join(tmpdir(), 'raypher-bench-vault-'));
const { store, keyring } = await openVault(home, 'host', tpm.tcti);
const auditDb = await openRaypherDb(join(home, 'raypher.db'));
const service = new VaultService({ store, keyring, audit: new AuditLedger(auditDb, 'vault'), logger, settings: () => ({ configuredProtector: 'host', tcti: tpm.tcti, pcrs: '' }), invalidate: () => undefined });
await service.seal('openai', `sk-bench-${randomBytes(24).toString('hex')}`, null);
const token = randomBytes(32).toString('hex');
const sockPath = join(home, 'vault.sock');
const server = await startVaultSocket(sockPath, token, service, logger);
/** Runs `calls` round trips from a child process; mode 'unseal' or 'hello' (the IPC floor without vault work). */
function clientCode(mode) {
  const call = mode === 'unseal' ? "peer.call(VaultSocket.unseal, { provider: 'openai' })" : `peer.call(VaultSocket.hello, { protocolVersion: PROTOCOL_VERSION, token: ${JSON.stringify(token)}, client: 'bench' })`;
  return `
  import { connect } from 'node:net';
  import { Peer, SocketTransport, VaultSocket, PROTOCOL_VERSION } from '@raypher/shared/ipc';
  const s = connect(${JSON.stringify(sockPath)});
  await new Promise((r) => s.once('connect', r));
  const peer = new Peer(new SocketTransport(s), { label: 'bench' });
  await peer.call(VaultSocket.hello, { protocolVersion: PROTOCOL_VERSION, token: ${JSON.stringify(token)}, client: 'bench' });
  for (let i = 0; i < 500; i++) await ${call};
  const t = [];
  for (let i = 0; i < ${CALLS}; i++) { const t0 = process.hrtime.bigint(); await ${call}; t.push(Number(process.hrtime.bigint() - t0) / 1e6); }
  console.log(JSON.stringify(t));
  peer.close();`;
}

/** The floor: the same framing with no validation, no RPC layer and no vault, as a bare echo server. */
const rawEchoServer = () => {
  const path = join(home, 'echo.sock');
  const server = createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const n = buf.readUInt32BE(0);
        const msg = JSON.parse(buf.subarray(4, 4 + n));
        buf = buf.subarray(4 + n);
        const body = Buffer.from(JSON.stringify({ t: 'res', id: msg.id, ok: true, r: { provider: 'openai', secret: 'x'.repeat(57) } }));
        const head = Buffer.alloc(4);
        head.writeUInt32BE(body.length);
        s.write(Buffer.concat([head, body]));
      }
    });
  }).listen(path);
  return { server, path };
};
const rawClientCode = (path) => `
  import { connect } from 'node:net';
  const s = connect(${JSON.stringify(path)});
  await new Promise((r) => s.once('connect', r));
  let next; let buf = Buffer.alloc(0);
  s.on('data', (d) => { buf = Buffer.concat([buf, d]); while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) { const n = buf.readUInt32BE(0); const m = JSON.parse(buf.subarray(4, 4 + n)); buf = buf.subarray(4 + n); next(m); } });
  const call = (id) => new Promise((r) => { next = r; const b = Buffer.from(JSON.stringify({ t: 'req', id, m: 'unseal', p: { provider: 'openai' } })); const h = Buffer.alloc(4); h.writeUInt32BE(b.length); s.write(Buffer.concat([h, b])); });
  for (let i = 0; i < 500; i++) await call(i);
  const t = [];
  for (let i = 0; i < ${CALLS}; i++) { const t0 = process.hrtime.bigint(); await call(i); t.push(Number(process.hrtime.bigint() - t0) / 1e6); }
  console.log(JSON.stringify(t));
  s.end();`;

const benchDir = join(REPO, 'ops', 'bench');
// Async: the servers run in this process and must keep answering while the client runs.
const runClient = (code) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: benchDir, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`bench client exited ${code}`))));
  });
const echo = rawEchoServer();
// Interleaved rounds so machine noise hits every variant alike.
const series = { unseal: [], hello: [], raw: [] };
for (let round = 0; round < 3; round++) {
  series.unseal.push(...(await runClient(clientCode('unseal'))));
  series.hello.push(...(await runClient(clientCode('hello'))));
  series.raw.push(...(await runClient(rawClientCode(echo.path))));
}
echo.server.close();
const times = series.unseal;
server.close();
await store.close();
await auditDb.close();
tpm.proc.kill();

const f = (x) => x.toFixed(3);
console.log(`# vault benchmark ${new Date().toISOString()} (node ${process.version})`);
const line = (label, xs) => `${label.padEnd(44)} p50 ${f(pct(xs, 50))} ms  p99 ${f(pct(xs, 99))} ms  (n=${xs.length}, p50 ${(pct(xs, 50) / pct(series.raw, 50)).toFixed(2)}x the floor)`;
console.log(line('unseal over the vault socket', series.unseal));
console.log(line('hello over the vault socket (IPC, no vault)', series.hello));
console.log(line('bare framed JSON echo (the floor)', series.raw));
for (const [p, r] of Object.entries(unwrap)) console.log(`data-key unwrap at start, ${p.padEnd(9)}: p50 ${r.p50.toFixed(1)} ms  max ${r.max.toFixed(1)} ms  (first start, creating: ${r.create.toFixed(1)} ms)`);
mkdirSync(join(benchDir, 'results'), { recursive: true });
writeFileSync(join(benchDir, 'results', 'vault.json'), JSON.stringify({ calls: CALLS, unseal: { p50: pct(series.unseal, 50), p99: pct(series.unseal, 99) }, hello: { p50: pct(series.hello, 50), p99: pct(series.hello, 99) }, raw: { p50: pct(series.raw, 50), p99: pct(series.raw, 99) }, unwrap }, null, 2));
