#!/usr/bin/env node
// Where the CPU goes under wrk, per thread: CPU time (utime + stime from /proc/<pid>/task/*/stat) of every thread of
// the proxy process (main, the identification thread, libuv's pool that runs SQLite and fs work), of the supervisor
// and of the upstream stand-in, divided by the requests served. CPU time, not wall time, so the split holds on a
// loaded machine too; the minimal node:http proxy is measured in the same run as the floor.
// Usage: node ops/bench/proxy/threads.mjs [--seconds 8] [--extra 'inject_stream_usage = ""'] (npm run build first)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { children, HERE, startNode, startRaypher } from './targets.mjs';
import { wrk } from './wrk.mjs';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, extra: { type: 'string', default: '' } } });
const TICK_MS = 1000 / 100; // USER_HZ on Linux

/** CPU ms per thread of a process: `main` (the event loop), else its name and tid (node names few of its threads). */
function threads(pid) {
  const out = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[Number(tid) === pid ? 'main' : `${name}/${tid}`] = (Number(f[11]) + Number(f[12])) * TICK_MS;
    } catch {
      /* a thread that ended */
    }
  }
  return out;
}

function measure(label, procs, port) {
  const before = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, threads(pid)]));
  const r = wrk(port, { seconds: Number(values.seconds) });
  const requests = r.rps * Number(values.seconds);
  const rows = [];
  for (const [proc, pid] of Object.entries(procs)) {
    const after = threads(pid);
    for (const [name, ms] of Object.entries(after)) {
      const used = ms - (before[proc][name] ?? 0);
      if (used > 0) rows.push({ proc, thread: name, cpu_ms: Math.round(used), us_per_request: Math.round((used * 1000) / requests) });
    }
  }
  rows.sort((a, b) => b.cpu_ms - a.cpu_ms);
  console.log(`\n${label}: ${Math.round(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}`);
  console.table(rows);
  const total = rows.filter((x) => x.proc !== 'upstream').reduce((n, x) => n + x.us_per_request, 0);
  console.log(`${label}: ${total} µs of CPU per request in the proxy's processes`);
  return { rps: r.rps, total };
}

const { port: upstreamPort, child: upstream } = await startNode(join(HERE, 'upstream.mjs'), []);
try {
  const minimal = await startNode(join(HERE, 'minimal-proxy.mjs'), [String(upstreamPort)]);
  wrk(minimal.port, { seconds: 2 });
  const floor = measure('minimal', { proxy: minimal.child.pid, upstream: upstream.pid }, minimal.port);
  const r = await startRaypher(upstreamPort, values.extra ? `${values.extra}\n` : '');
  wrk(r.port, { seconds: 3 }); // warm-up: JIT, pools, the key cached
  const ray = measure('raypher', { proxy: r.proxyPid, supervisor: r.supervisorPid, upstream: upstream.pid }, r.port);
  console.log(`\nraypher/minimal: throughput ${(ray.rps / floor.rps).toFixed(2)}x, CPU per request ${(ray.total / floor.total).toFixed(2)}x`);
} finally {
  for (const c of children) c.kill('SIGKILL');
}
