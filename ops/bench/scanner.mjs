#!/usr/bin/env node
// Scanner benchmark: a real daemon with the scanner at its 2 s interval and N real sleeper processes (500 by default);
// reports the pass time the scanner measures itself (avg_scan_ms in /health, and scan.run on demand) and the scanner
// worker's CPU share from /proc (utime + stime over the window), beside its floor in the same run: a bare Node process
// idling with the same timer (what any Node worker at that interval costs before it does any work).
// Usage: node ops/bench/scanner.mjs [--sleepers 500] [--secs 60] [--interval 2]  (--interval 3600: the idle worker's own CPU)   (run `npm run build` first)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectControl, Control } from '@raypher/shared/ipc';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({ options: { sleepers: { type: 'string', default: '500' }, secs: { type: 'string', default: '60' }, interval: { type: 'string', default: '2' } } });
const SLEEPERS = Number(values.sleepers);
const SECS = Number(values.secs);
const CLK_TCK = 100;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cpuTicks = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
};

const home = mkdtempSync(join(tmpdir(), 'raypher-bench-scanner-'));
writeFileSync(join(home, 'config.toml'), `[health]\nlisten_port = 0\n[proxy]\nlisten_port = 0\n[vault]\nprotector = "host"\n[watchtower]\nscan_interval_secs = ${Number(values.interval)}\nprovider_hosts = ""\n`);
const daemon = spawn(process.execPath, [join(REPO, 'supervisor', 'bin', 'raypher.js'), 'run', '--home', home], { stdio: ['ignore', 'ignore', 'inherit'] });
let client;
for (let i = 0; i < 300 && !client; i++) {
  await sleep(100);
  try {
    const c = await connectControl(join(home, 'run', 'control.sock'), { name: 'bench', version: '0' });
    const s = await c.call(Control.status, {});
    if (s.workers.every((w) => w.state === 'running')) client = c;
    else c.close();
  } catch (err) {
    if (i % 50 === 49) console.error(`not up yet: ${err.message}`);
  }
}
if (!client) {
  daemon.kill('SIGTERM');
  throw new Error('daemon did not come up');
}
client.close();
const sleepers = [];
const cleanup = () => {
  for (const s of sleepers) s.kill();
  daemon.kill('SIGTERM');
};
const ask = async (def, params) => {
  const c = await connectControl(join(home, 'run', 'control.sock'), { name: 'bench', version: '0' });
  try {
    return await c.call(def, params);
  } finally {
    c.close();
  }
};
try {
  const status = await ask(Control.status, {});
  const scannerPid = status.workers.find((w) => w.name === 'scanner').pid;

  sleepers.push(...Array.from({ length: SLEEPERS }, () => spawn('sleep', ['3600'], { stdio: 'ignore' })));
  await sleep(5000); // the pass that meets them all reads their details once: not the steady state
  const floor = spawn(process.execPath, ['-e', `setInterval(() => {}, ${Number(values.interval) * 1000})`], { stdio: 'ignore' });
  sleepers.push(floor);
  await sleep(1000);
  const t0 = cpuTicks(scannerPid);
  const f0 = cpuTicks(floor.pid);
  const w0 = Date.now();
  const before = (await ask(Control.health, {})).watchtower;
  await sleep(SECS * 1000);
  const secs = (Date.now() - w0) / 1000;
  const cpu = ((cpuTicks(scannerPid) - t0) / CLK_TCK / secs) * 100;
  const floorCpu = ((cpuTicks(floor.pid) - f0) / CLK_TCK / secs) * 100;
  const after = (await ask(Control.health, {})).watchtower;
  const onDemand = [];
  for (let i = 0; i < 10; i++) onDemand.push((await ask(Control['scan.run'], {})).durationMs);
  onDemand.sort((a, b) => a - b);
  const last = await ask(Control['scan.run'], {});
  const processes = last.processes;
  // proxy.bypass's connection listing, both ways, in this process (the machine's sockets as they are): CPU per call.
  const { TcpDump } = await import('../../shared/dist/native/index.js');
  const { establishedConnections } = await import('../../workers/scanner/dist/network/tcp-connections.js');
  const dump = new TcpDump();
  const perCall = (fn) => {
    fn();
    const c0 = process.cpuUsage();
    for (let i = 0; i < 200; i++) fn();
    const c = process.cpuUsage(c0);
    return Math.round(((c.user + c.system) / 1000 / 200) * 1000) / 1000;
  };
  const sockets = establishedConnections().length;
  const viaDiag = perCall(() => dump.established((p) => p === 443));
  const viaProc = perCall(() => establishedConnections().filter((c) => c.remotePort === 443));
  dump.close();
  console.log(JSON.stringify({
    processes,
    sleepers: SLEEPERS,
    window_secs: SECS,
    interval_secs: Number(values.interval),
    passes: after.scan_cycles - before.scan_cycles,
    avg_scan_ms: after.avg_scan_ms,
    scan_run_p50_ms: Math.round(onDemand[5] * 100) / 100,
    scan_run_max_ms: Math.round(onDemand[9] * 100) / 100,
    scanner_cpu_percent_of_one_core: Math.round(cpu * 100) / 100,
    connections_read_by: last.connections,
    established_tcp_sockets: sockets,
    list_connections_sock_diag_cpu_ms: viaDiag,
    list_connections_proc_net_cpu_ms: viaProc,
    floor_cpu_percent_of_one_core: Math.round(floorCpu * 100) / 100,
    load_average_1m: Math.round(loadavg()[0] * 100) / 100,
  }));
} finally {
  cleanup();
}
