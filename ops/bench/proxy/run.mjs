#!/usr/bin/env node
// Proxy benchmark: direct vs Raypher vs a minimal node:http proxy vs Portkey's gateway vs nginx, interleaved.
// Throughput (c=16) comes from wrk, a native load generator: a Node client caps every target near the same rate
// (issue 15). Latency at c=1, TTFT and new connections come from the Node client (load.mjs).
// `raypher-noinject` is Raypher with [proxy] inject_stream_usage = "": the cost of asking streams for usage.
// Usage: node ops/bench/proxy/run.mjs [--rounds 5] [--wrk-secs 8] [--soak] [--skip portkey,nginx]   (npm run build first; wrk,
// gcc and nginx from Debian; Portkey from npm)
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { children, freePort, HERE, KEY, REPO, startNode, startRaypher, waitHttp } from './targets.mjs';
import { wrk } from './wrk.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, soak: { type: 'boolean', default: false }, skip: { type: 'string', default: '' }, 'wrk-secs': { type: 'string', default: '8' } } });
const SKIP = new Set(values.skip.split(',').filter(Boolean));
const ROUNDS = Number(values.rounds);
const WRK_SECS = Number(values['wrk-secs']);
const PORTKEY_VERSION = '1.15.2';

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];
const load1 = () => loadavg()[0].toFixed(2);

async function startPortkey(upstreamPort) {
  const dir = join(tmpdir(), `raypher-bench-portkey-${PORTKEY_VERSION}`);
  const entry = join(dir, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  if (!existsSync(entry)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, `@portkey-ai/gateway@${PORTKEY_VERSION}`], { stdio: 'ignore' });
  }
  const port = await freePort();
  const child = spawn(process.execPath, [entry, `--port=${port}`, '--headless'], { stdio: 'ignore', env: { ...process.env, NODE_ENV: 'production' } });
  children.push(child);
  const headers = { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `http://127.0.0.1:${upstreamPort}/v1`, authorization: `Bearer ${KEY}` };
  await waitHttp(`http://127.0.0.1:${port}/v1/chat/completions`, headers);
  return { port, headers };
}

async function startNginx(upstreamPort) {
  const dir = mkdtempSync(join(tmpdir(), 'raypher-bench-nginx-'));
  const port = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir};
  upstream up { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; } } }`);
  const child = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  children.push(child);
  await waitHttp(`http://127.0.0.1:${port}/v1/chat/completions`);
  return { port };
}

const failures = new Map();
/** One measurement; a target that fails it (Portkey's streaming on Node 20) is recorded, not fatal. */
function load(name, port, mode, amount, headers = {}) {
  try {
    const out = execFileSync(process.execPath, [join(HERE, 'load.mjs'), `http://127.0.0.1:${port}/v1/chat/completions`, mode, String(amount), JSON.stringify(headers)], { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.toString());
  } catch (err) {
    failures.set(`${name} ${mode}`, String(err.stderr ?? err.message).split('\n').find((l) => l.startsWith('Error')) ?? 'failed');
    return { latencies: [], rps: NaN };
  }
}

const { port: upstreamPort } = await startNode(join(HERE, 'upstream.mjs'), []);
const targets = {
  direct: { port: upstreamPort, headers: {} },
  raypher: { ...(await startRaypher(upstreamPort)), headers: { 'x-raypher-token': 'dummy' } },
  'raypher-noinject': { ...(await startRaypher(upstreamPort, 'inject_stream_usage = ""\n')), headers: { 'x-raypher-token': 'dummy' } },
  minimal: { port: (await startNode(join(HERE, 'minimal-proxy.mjs'), [String(upstreamPort)])).port, headers: {} },
};
try {
  if (!SKIP.has('portkey')) targets.portkey = await startPortkey(upstreamPort);
} catch (err) {
  console.error(`portkey unavailable: ${err.message}`);
}
try {
  if (!SKIP.has('nginx')) targets.nginx = await startNginx(upstreamPort);
} catch (err) {
  console.error(`nginx unavailable: ${err.message}`);
}

const results = Object.fromEntries(Object.keys(targets).map((k) => [k, { c1: [], c16p50: [], c16p99: [], rps: [], ttft: [], newconn: [] }]));
const loads = [load1()];
/** c=16 with wrk; Portkey needs its own headers, which wrk's script does not send: it keeps the Node client. */
function c16(name, t) {
  if (name === 'portkey') {
    const r = load(name, t.port, 'c16', 3, t.headers);
    return { rps: r.rps, p50: pct(r.latencies, 50), p99: pct(r.latencies, 99) };
  }
  try {
    const r = wrk(t.port, { seconds: WRK_SECS });
    if (r.non2xx > 0 || r.errors) failures.set(`${name} c16`, `${r.non2xx} non-2xx, socket errors: ${r.errors ?? 'none'}`);
    return r;
  } catch (err) {
    failures.set(`${name} c16`, String(err.message).split('\n')[0]);
    return { rps: NaN, p50: NaN, p99: NaN };
  }
}
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, t] of Object.entries(targets)) {
    const r = results[name];
    r.c1.push(...load(name, t.port, 'c1', 1000, t.headers).latencies);
    const w = c16(name, t);
    if (!Number.isNaN(w.rps)) {
      r.rps.push(w.rps);
      r.c16p50.push(w.p50);
      r.c16p99.push(w.p99);
    }
    r.ttft.push(...load(name, t.port, 'ttft', 5, t.headers).latencies);
    if (name === 'raypher' || name === 'minimal' || name === 'direct') r.newconn.push(...load(name, t.port, 'newconn', 200, t.headers).latencies);
  }
  loads.push(load1());
}

const f = (x) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(3));
const base = results.direct;
const lines = [`# proxy benchmark ${new Date().toISOString()} (node ${process.version}, ${ROUNDS} interleaved rounds; c=16: wrk -t2 -c16 -d${WRK_SECS}s; 1-min load average per round: ${loads.join(' → ')})`, ''];
lines.push('| target | c=1 p50 | c=1 p99 | added p50 | added p99 | c=16 req/s (each round) | c=16 p50 | c=16 p99 | vs minimal req/s | p99 vs minimal | TTFT p50 | added TTFT p50 | added TTFT p99 |');
lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const [name, r] of Object.entries(results)) {
  const m = results.minimal;
  lines.push(
    `| ${name} | ${f(pct(r.c1, 50))} ms | ${f(pct(r.c1, 99))} ms | ${f(pct(r.c1, 50) - pct(base.c1, 50))} ms | ${f(pct(r.c1, 99) - pct(base.c1, 99))} ms | ${mean(r.rps).toFixed(0)} (${r.rps.map((x) => x.toFixed(0)).join(', ')}) | ${f(mean(r.c16p50))} ms | ${f(mean(r.c16p99))} ms | ${(mean(r.rps) / mean(m.rps)).toFixed(2)}x | ${(mean(r.c16p99) / mean(m.c16p99)).toFixed(2)}x | ${f(pct(r.ttft, 50))} ms | ${f(pct(r.ttft, 50) - pct(base.ttft, 50))} ms | ${f(pct(r.ttft, 99) - pct(base.ttft, 99))} ms |`,
  );
}
lines.push('', 'c=16 p50/p99: wrk\'s, averaged over the rounds; req/s: the mean of the rounds, each round\'s in brackets.');
for (const [what, why] of failures) lines.push(`failed: ${what}: ${why}`);
lines.push('', 'New connection per request (identification runs on every request for Raypher):');
for (const name of ['direct', 'minimal', 'raypher']) lines.push(`  ${name.padEnd(8)} p50 ${f(pct(results[name].newconn, 50))} ms  p99 ${f(pct(results[name].newconn, 99))} ms`);
const ident = pct(results.raypher.newconn, 50) - pct(results.raypher.c1, 50) - (pct(results.minimal.newconn, 50) - pct(results.minimal.c1, 50));
lines.push(`  identification cost, cold (per new connection, p50, beyond a plain proxy's new-connection cost): ${f(ident)} ms; cached (kept-alive connection): included in c=1 added p50 above`);
console.log(lines.join('\n'));
mkdirSync(join(REPO, 'ops', 'bench', 'results'), { recursive: true });
writeFileSync(join(REPO, 'ops', 'bench', 'results', 'proxy.json'), JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { c1p50: pct(r.c1, 50), c1p99: pct(r.c1, 99), rps: mean(r.rps), rpsRounds: r.rps, c16p50: mean(r.c16p50), c16p99: mean(r.c16p99), ttftp50: pct(r.ttft, 50), ttftp99: pct(r.ttft, 99) }])), null, 2));

if (values.soak) {
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(execFileSync('cat', [`/proc/${targets.raypher.proxyPid}/status`]).toString())[1]) / 1024;
  const samples = [];
  const soak = spawn(process.execPath, [join(HERE, 'load.mjs'), `http://127.0.0.1:${targets.raypher.port}/v1/chat/completions`, 'rate', '300', JSON.stringify(targets.raypher.headers)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(soak);
  let soakOut = '';
  soak.stdout.on('data', (d) => (soakOut += d));
  // The proxy's V8 heap in use (from /metrics) beside its RSS: a leak raises both, allocator growth only RSS.
  const heap = async () => Number(/^raypher_proxy_heap_used_bytes (\S+)$/m.exec(await (await fetch(`http://127.0.0.1:${targets.raypher.healthPort}/metrics`)).text())?.[1]) / 1048576;
  const heaps = [];
  const timer = setInterval(async () => {
    samples.push(rss());
    heaps.push(await heap());
  }, 30_000);
  await new Promise((r) => soak.once('exit', r));
  clearInterval(timer);
  console.log(`\nsoak: 300 req/s for 10 min through Raypher: ${soakOut.trim()}; proxy RSS samples (MB, every 30 s): ${samples.map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`proxy V8 heap used (MB, every 30 s): ${heaps.map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`proxy RSS first ${samples[0]?.toFixed(1)} MB, last ${samples.at(-1)?.toFixed(1)} MB, change ${(((samples.at(-1) - samples[0]) / samples[0]) * 100).toFixed(1)} %`);
  // After 2 minutes of warm-up (JIT, pools, V8 heap sizing): the band RSS moves in, as a share of its low.
  const warm = samples.slice(4);
  const lo = Math.min(...warm);
  console.log(`proxy RSS from minute 2 to the end: ${lo.toFixed(1)}–${Math.max(...warm).toFixed(1)} MB (band ${(((Math.max(...warm) - lo) / lo) * 100).toFixed(1)} %)`);
}
process.exit(0);
