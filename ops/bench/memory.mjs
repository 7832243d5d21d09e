#!/usr/bin/env node
// Memory benchmark (issue 15): the idle process tree (supervisor + workers) beside a bare Node process, then the
// proxy's RSS under an open-loop load. RSS from /proc/<pid>/status, after a settle.
// Usage: node ops/bench/memory.mjs [--settle-secs 10] [--rate 300] [--secs 600]   (npm run build first)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { children, ctl, HERE, sleep, startNode, startRaypher } from './proxy/targets.mjs';

const { values } = parseArgs({ options: { 'settle-secs': { type: 'string', default: '10' }, rate: { type: 'string', default: '300' }, secs: { type: 'string', default: '600' } } });
const SETTLE_MS = Number(values['settle-secs']) * 1000;
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const f = (x) => x.toFixed(1);

const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
children.push(bare);
const { port: upstreamPort } = await startNode(join(HERE, 'upstream.mjs'), []);
const raypher = await startRaypher(upstreamPort);
await sleep(SETTLE_MS);
const workers = JSON.parse(ctl(raypher.home, ['status', '--json']).toString()).workers;
const tree = [{ name: 'supervisor', pid: raypher.supervisorPid }, ...workers.map((w) => ({ name: w.name, pid: w.pid }))].map((p) => ({ ...p, rss: rssMb(p.pid) }));
const total = tree.reduce((a, p) => a + p.rss, 0);
const lines = [`# memory benchmark ${new Date().toISOString()} (node ${process.version}; settle ${SETTLE_MS / 1000} s; 1-min load average ${loadavg()[0].toFixed(2)})`, ''];
lines.push(`bare node (setInterval): ${f(rssMb(bare.pid))} MB`);
lines.push(`idle: ${tree.map((p) => `${p.name} ${f(p.rss)} MB`).join(', ')}; tree ${f(total)} MB (${tree.length} processes)`);

const secs = Number(values.secs);
if (secs > 0) {
  const proxy = workers.find((w) => w.name === 'proxy').pid;
  const load = spawn(process.execPath, [join(HERE, 'load.mjs'), `http://127.0.0.1:${raypher.port}/v1/chat/completions`, 'rate', values.rate, JSON.stringify({ 'x-raypher-token': 'dummy' }), String(secs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(load);
  let out = '';
  load.stdout.on('data', (d) => (out += d));
  const samples = [];
  const timer = setInterval(() => samples.push(rssMb(proxy)), Math.min(30_000, (secs * 1000) / 10));
  await new Promise((r) => load.once('exit', r));
  clearInterval(timer);
  samples.push(rssMb(proxy));
  lines.push(`proxy under ${values.rate} req/s for ${secs} s (${out.trim()}): RSS samples ${samples.map(f).join(' ')} MB; last ${f(samples.at(-1))}, max ${f(Math.max(...samples))} MB; supervisor ${f(rssMb(raypher.supervisorPid))} MB`);
}
console.log(lines.join('\n'));
process.exit(0);
