#!/usr/bin/env node
// Supervisor benchmark, one run: kill -9 → worker running again (p50/p99 per worker), idle RSS, idle CPU.
// Usage: node ops/bench/supervisor.mjs [--kills 50] [--idle-secs 60]   (run `npm run build` first)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectControl, Control } from '@raypher/shared/ipc';
import { Db } from '@raypher/shared/db';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({ options: { kills: { type: 'string', default: '50' }, 'idle-secs': { type: 'string', default: '60' } } });
const KILLS = Number(values.kills);
const IDLE_SECS = Number(values['idle-secs']);
const CLK_TCK = 100;
const POLL_MS = 10;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const cpuTicks = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
};

async function startDaemon(config) {
  const home = mkdtempSync(join(tmpdir(), 'raypher-bench-'));
  writeFileSync(join(home, 'config.toml'), config);
  const proc = spawn(process.execPath, [join(REPO, 'supervisor', 'bin', 'raypher.js'), 'run', '--home', home], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  for (let i = 0; i < 200; i++) {
    await sleep(100);
    if (proc.exitCode !== null) throw new Error(`supervisor exited ${proc.exitCode}: ${stderr}`);
    try {
      const c = await connectControl(join(home, 'run', 'control.sock'), { name: 'bench', version: '0' });
      const s = await c.call(Control.status, {});
      if (s.workers.every((w) => w.state === 'running')) return { proc, client: c, home };
      c.close();
    } catch {
      /* not up yet */
    }
  }
  throw new Error('supervisor did not come up');
}

/**
 * Kills each worker KILLS times; measures kill → the new process reports ready (its first heartbeat
 * follows in the same tick). The end time is the supervisor's own timestamp in the worker.ready audit
 * row, so the bench only polls a cheap SQLite read and does not load the machine while workers start.
 */
async function measureRecovery(label, config) {
  const { proc, client, home } = await startDaemon(config);
  const db = await Db.open(join(home, 'data', 'raypher.db'), { readOnly: true });
  const results = {};
  for (const name of ['vault', 'proxy', 'scanner', 'updater']) {
    const samples = [];
    for (let i = 0; i < KILLS; i++) {
      const before = (await client.call(Control.status, {})).workers.find((w) => w.name === name);
      const head = (await db.get('SELECT max(seq) AS s FROM events')).s;
      const t0 = Date.now();
      process.kill(before.pid, 'SIGKILL');
      let readyAt;
      while (readyAt === undefined) {
        await sleep(POLL_MS);
        const rows = await db.all("SELECT body FROM events WHERE seq > ? AND type = 'worker.ready'", [head]);
        const row = rows.map((r) => JSON.parse(r.body)).find((b) => b.data.worker === name);
        if (row) readyAt = Date.parse(row.ts);
      }
      samples.push(readyAt - t0);
      await sleep(400); // past stable_after_ms, so every kill starts the backoff from its base
    }
    results[name] = { p50: pct(samples, 50), p99: pct(samples, 99), n: samples.length };
  }
  client.close();
  await db.close();
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  return { label, results };
}

async function measureIdle(config) {
  const { proc, client } = await startDaemon(config);
  await sleep(5000); // settle after start-up
  const pids = () => [proc.pid, ...readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim().split(/\s+/).map(Number)];
  const tree = pids();
  const t0 = tree.map(cpuTicks);
  const rssStart = tree.map(rssKb);
  client.close();
  await sleep(IDLE_SECS * 1000);
  const t1 = tree.map(cpuTicks);
  const rssEnd = tree.map(rssKb);
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  const cpuPct = (i) => ((t1[i] - t0[i]) / CLK_TCK / IDLE_SECS) * 100;
  return {
    supervisorRssMb: rssEnd[0] / 1024,
    totalRssMb: rssEnd.reduce((a, b) => a + b, 0) / 1024,
    workerRssMb: rssEnd.slice(1).map((k) => k / 1024),
    rssStartMb: rssStart.reduce((a, b) => a + b, 0) / 1024,
    supervisorCpuPct: cpuPct(0),
    treeCpuPct: tree.reduce((a, _, i) => a + cpuPct(i), 0),
  };
}

/** The floor, in the same run: spawn → exit of a bare `node -e 0` (p50 of 10). */
async function bareNodeMs() {
  const samples = [];
  for (let i = 0; i < 10; i++) {
    const t0 = Date.now();
    await new Promise((r) => spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).once('exit', r));
    samples.push(Date.now() - t0);
  }
  return pct(samples, 50);
}

const floorBefore = await bareNodeMs();
const base = '[health]\nlisten_port = 0\n[proxy]\nlisten_port = 0\n[supervisor]\nmax_restarts = 1000\nrestart_window_ms = 1000\nstable_after_ms = 300\n';
const withDefaultBackoff = await measureRecovery('default backoff (base 100 ms, jitter 0.2); since issue 15 a first crash after a stable run restarts at once', base);
const noBackoff = await measureRecovery('backoff_base_ms = 0 (spawn cost only)', `${base}backoff_base_ms = 0\n`);
const floorAfter = await bareNodeMs();
const idle = await measureIdle('[health]\nlisten_port = 0\n[proxy]\nlisten_port = 0\n');

const f = (x) => x.toFixed(1);
const lines = [`# supervisor benchmark ${new Date().toISOString()} (node ${process.version}, ${KILLS} kills per worker, idle ${IDLE_SECS} s)`, ''];
for (const run of [withDefaultBackoff, noBackoff]) {
  lines.push(`kill -9 → ready again, ${run.label}:`);
  for (const [w, r] of Object.entries(run.results)) lines.push(`  ${w.padEnd(8)} p50 ${f(r.p50)} ms  p99 ${f(r.p99)} ms  (n=${r.n})`);
}
lines.push(`floor: bare \`node -e 0\` spawn → exit p50 ${floorBefore} ms before the kills, ${floorAfter} ms after`);
lines.push('', `idle RSS: supervisor ${f(idle.supervisorRssMb)} MB, workers ${idle.workerRssMb.map(f).join(' / ')} MB, total ${f(idle.totalRssMb)} MB`);
lines.push(`idle CPU over ${IDLE_SECS} s: supervisor ${idle.supervisorCpuPct.toFixed(2)} %, whole tree ${idle.treeCpuPct.toFixed(2)} % of one core`);
console.log(lines.join('\n'));
mkdirSync(join(REPO, 'ops', 'bench', 'results'), { recursive: true });
writeFileSync(join(REPO, 'ops', 'bench', 'results', 'supervisor.json'), JSON.stringify({ withDefaultBackoff, noBackoff, floorBefore, floorAfter, idle }, null, 2));
