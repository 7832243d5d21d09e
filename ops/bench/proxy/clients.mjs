#!/usr/bin/env node
// Which upstream HTTP client for the proxy: node:http vs undici vs got, each in the same minimal proxy, interleaved.
// Usage: node ops/bench/proxy/clients.mjs [--rounds 5]
import { spawn, execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

function start(script, args) {
  const child = spawn(process.execPath, [join(HERE, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
}
const load = (port, mode, amount) => JSON.parse(execFileSync(process.execPath, [join(HERE, 'load.mjs'), `http://127.0.0.1:${port}/v1/chat/completions`, mode, String(amount)], { maxBuffer: 64 << 20 }).toString());

const upstream = await start('upstream.mjs', []);
const targets = { direct: upstream };
for (const c of ['http', 'undici', 'got']) targets[c] = await start('client-proxy.mjs', [c, String(upstream)]);
const r = Object.fromEntries(Object.keys(targets).map((k) => [k, { c1: [], rps: [], ttft: [] }]));
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, port] of Object.entries(targets)) {
    r[name].c1.push(...load(port, 'c1', 1000).latencies);
    r[name].rps.push(load(port, 'c16', 3).rps);
    r[name].ttft.push(...load(port, 'ttft', 5).latencies);
  }
}
const f = (x) => x.toFixed(3);
console.log(`# upstream client benchmark ${new Date().toISOString()} (node ${process.version}, ${values.rounds} interleaved rounds)\n`);
console.log('| client | c=1 p50 | added p50 | c=1 p99 | c=16 req/s | vs node:http | TTFT p50 |');
console.log('|---|---|---|---|---|---|---|');
for (const [name, x] of Object.entries(r)) {
  console.log(`| ${name} | ${f(pct(x.c1, 50))} ms | ${f(pct(x.c1, 50) - pct(r.direct.c1, 50))} ms | ${f(pct(x.c1, 99))} ms | ${mean(x.rps).toFixed(0)} | ${(mean(x.rps) / mean(r.http.rps)).toFixed(2)}x | ${f(pct(x.ttft, 50))} ms |`);
}
process.exit(0);
