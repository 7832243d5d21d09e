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
const clientCode = `
  import { connect } from 'node:net';
  import { Peer, SocketTransport, VaultSocket, PROTOCOL_VERSION } from '@raypher/shared/ipc';
  const s = connect(${JSON.stringify(sockPath)});
  await new Promise((r) => s.once('connect', r));
  const peer = new Peer(new SocketTransport(s), { label: 'bench' });
  await peer.call(VaultSocket.hello, { protocolVersion: PROTOCOL_VERSION, token: ${JSON.stringify(token)}, client: 'bench' });
  for (let i = 0; i < 500; i++) await peer.call(VaultSocket.unseal, { provider: 'openai' }); // warm-up
  const t = [];
  for (let i = 0; i < ${CALLS}; i++) { const t0 = process.hrtime.bigint(); await peer.call(VaultSocket.unseal, { provider: 'openai' }); t.push(Number(process.hrtime.bigint() - t0) / 1e6); }
  console.log(JSON.stringify(t));
  peer.close();`;
const benchDir = join(REPO, 'ops', 'bench');
const out = execFileSync(process.execPath, ['--input-type=module', '-e', clientCode], { cwd: benchDir, maxBuffer: 64 * 1024 * 1024 }).toString();
const times = JSON.parse(out);
server.close();
await store.close();
await auditDb.close();
tpm.proc.kill();

const f = (x) => x.toFixed(3);
console.log(`# vault benchmark ${new Date().toISOString()} (node ${process.version})`);
console.log(`unseal over the vault socket, ${CALLS} calls from another process: p50 ${f(pct(times, 50))} ms  p99 ${f(pct(times, 99))} ms  mean ${f(times.reduce((a, b) => a + b, 0) / times.length)} ms`);
for (const [p, r] of Object.entries(unwrap)) console.log(`data-key unwrap at start, ${p.padEnd(9)}: p50 ${r.p50.toFixed(1)} ms  max ${r.max.toFixed(1)} ms  (first start, creating: ${r.create.toFixed(1)} ms)`);
mkdirSync(join(benchDir, 'results'), { recursive: true });
writeFileSync(join(benchDir, 'results', 'vault.json'), JSON.stringify({ calls: CALLS, p50: pct(times, 50), p99: pct(times, 99), unwrap }, null, 2));
