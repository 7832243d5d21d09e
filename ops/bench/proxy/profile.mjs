#!/usr/bin/env node
// CPU profile of the proxy worker under wrk: the inspector is opened in the running worker (SIGUSR1, no flag or code
// hook in the product), V8's sampling profiler runs while wrk drives 16 keep-alive connections, and the profile is
// written to ops/bench/results/proxy-worker.cpuprofile (open it in Chrome DevTools) with a self-time summary printed.
// --target minimal profiles the minimal node:http proxy the same way (the floor's own split of CPU).
// Usage: node --experimental-websocket ops/bench/proxy/profile.mjs [--target raypher|minimal] [--seconds 8] [--extra 'inject_stream_usage = ""']
// (npm run build first)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HERE, REPO, sleep, startNode, startRaypher } from './targets.mjs';
import { wrk } from './wrk.mjs';

const { values } = parseArgs({ options: { target: { type: 'string', default: 'raypher' }, seconds: { type: 'string', default: '8' }, extra: { type: 'string', default: '' }, top: { type: 'string', default: '45' } } });
const { port: upstreamPort } = await startNode(join(HERE, 'upstream.mjs'), []);
let target;
if (values.target === 'minimal') {
  const m = await startNode(join(HERE, 'minimal-proxy.mjs'), [String(upstreamPort)]);
  target = { port: m.port, pid: m.child.pid };
} else {
  const r = await startRaypher(upstreamPort, values.extra ? `${values.extra}\n` : '');
  target = { port: r.port, pid: r.proxyPid };
}
wrk(target.port, { seconds: 3 }); // warm-up: JIT, pools, the key cached

process.kill(target.pid, 'SIGUSR1');
let inspector;
for (let i = 0; i < 50 && !inspector; i++) {
  await sleep(100);
  inspector = await fetch('http://127.0.0.1:9229/json/list').then((r) => r.json()).then((l) => l[0], () => undefined);
}
if (!inspector) throw new Error(`${values.target} did not open its inspector on 127.0.0.1:9229`);
const ws = new WebSocket(inspector.webSocketDebuggerUrl);
await new Promise((r, j) => {
  ws.onopen = r;
  ws.onerror = j;
});
let id = 0;
const waiting = new Map();
ws.onmessage = (m) => {
  const msg = JSON.parse(String(m.data));
  if (msg.id && waiting.has(msg.id)) waiting.get(msg.id)(msg.result);
};
const call = (method, params = {}) => new Promise((resolve) => {
  waiting.set(++id, resolve);
  ws.send(JSON.stringify({ id, method, params }));
});
await call('Profiler.enable');
await call('Profiler.setSamplingInterval', { interval: 200 });
await call('Profiler.start');
const load = wrk(target.port, { seconds: Number(values.seconds) });
const { profile } = await call('Profiler.stop');
ws.close();

mkdirSync(join(REPO, 'ops', 'bench', 'results'), { recursive: true });
const file = join(REPO, 'ops', 'bench', 'results', `${values.target === 'minimal' ? 'minimal-proxy' : 'proxy-worker'}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));

// Self time per function and per area (our code by file, node internals, undici, prom-client, GC, idle).
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
for (const s of profile.samples) self.set(s, (self.get(s) ?? 0) + 1);
const total = profile.samples.length;
const fns = new Map();
const areas = new Map();
const area = (url) => {
  if (!url) return '(native/vm)';
  if (url.includes('/node_modules/')) return url.split('/node_modules/').pop().split('/')[0];
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:').split('/').slice(0, 2).join('/');
  const m = /\/(workers|shared|supervisor)\/([^/]+)\/dist\/(.*)$/.exec(url);
  return m ? `${m[1]}/${m[2]}/${m[3]}` : url;
};
for (const [nid, n] of self) {
  const node = byId.get(nid);
  const cf = node.callFrame;
  const key = `${cf.functionName || '(anonymous)'} ${area(cf.url)}:${cf.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + n);
  const a = cf.url ? area(cf.url) : cf.functionName;
  areas.set(a, (areas.get(a) ?? 0) + n);
}
const pctOf = (n) => `${((n / total) * 100).toFixed(1).padStart(5)} %`;
const busy = total - (areas.get('(idle)') ?? 0);
console.log(`wrk c=16 during the profile: ${load.rps.toFixed(0)} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms; ${total} samples, busy ${pctOf(busy)}; CPU µs per request ≈ ${((busy / total) * 1e6 / load.rps).toFixed(1)}`);
console.log('\nself time by area:');
for (const [a, n] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, 30)) console.log(`  ${pctOf(n)}  ${a}`);
console.log(`\nself time by function (top ${values.top}):`);
for (const [f, n] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top))) console.log(`  ${pctOf(n)}  ${f}`);
console.log(`\nprofile: ${file}`);
process.exit(0);
