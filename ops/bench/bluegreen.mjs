#!/usr/bin/env node
// Blue/green benchmark: proxy traffic (kept-alive and new connections, a few open streams) during a full swap
// (installed -> a raypher-release bundle) and a rollback: failed requests, refused connections, p99 added, swap and
// rollback time. A real supervisor in a temp home. Run `npm run build` first.
// Usage: node ops/bench/bluegreen.mjs [--rps 200] [--streams 4] [--settle-ms 3000]
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({ options: { rps: { type: 'string', default: '200' }, streams: { type: 'string', default: '4' }, 'settle-ms': { type: 'string', default: '3000' }, agent: { type: 'string' } } });
const RPS = Number(values.rps);
const SETTLE = Number(values['settle-ms']);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
if (values.agent !== undefined) {
  const port = Number(values.agent);
  const STREAM_MS = 2 * SETTLE;
// Traffic: half the requests on a kept-alive pool, half on new connections; a few SSE streams opened just before the
// swap and the rollback, each lasting 2 x settle-ms, so they are in flight while the blue proxy drains.
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const samples = [];
let n = 0;
const fire = (phase) => {
  const keepAlive = n++ % 2 === 0;
  const t = performance.now();
  const req = request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', headers: { authorization: 'Bearer dummy', 'content-type': 'application/json' }, agent: keepAlive ? agent : false, timeout: 30_000 }, (res) => {
    // A refusal's JSON body names its code (ERR_PROXY_...): kept, so a failure says which defence or limit answered.
    let body = '';
    res.on('data', (d) => res.statusCode !== 200 && body.length < 4096 && (body += d));
    res.on('end', () => {
      let code = `status ${res.statusCode}`;
      if (res.statusCode !== 200) code += ` ${/"code":"([A-Z_]+)"/.exec(body)?.[1] ?? ''}`.trimEnd();
      samples.push({ phase, ms: performance.now() - t, ok: res.statusCode === 200, code, keepAlive });
    });
  });
  req.on('error', (err) => samples.push({ phase, ms: performance.now() - t, ok: false, code: err.code ?? err.message, refused: err.code === 'ECONNREFUSED', keepAlive }));
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.end('{}');
};
let phase = 'steady';
  let buf = '';
  process.stdin.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const l of lines) {
      phase = l;
      if (l === 'swap' || l === 'rollback') streams.push(...openStreams());
    }
  });
const timer = setInterval(() => fire(phase), 1000 / RPS);
const openStreams = () =>
  Array.from({ length: Number(values.streams) }, () => {
    const s = { ok: null };
    const req = request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', headers: { authorization: 'Bearer dummy', 'content-type': 'application/json', accept: 'text/event-stream' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => (s.ok = res.statusCode === 200 && text.includes('[DONE]')));
      res.on('error', () => (s.ok = false));
    });
    req.on('error', () => (s.ok = false));
    req.end('{"stream":true}');
    return s;
  });
const streams = [];
  await new Promise((r) => process.stdin.once('end', r));
  clearInterval(timer);
  await sleep(STREAM_MS + 2000);
  agent.destroy();
  // Exit only once the (large) tally is flushed to the pipe.
  process.stdout.write(JSON.stringify({ samples, streams }), () => process.exit(0));
  await new Promise(() => undefined);
}
const loadBefore = readFileSync('/proc/loadavg', 'utf8').trim();
const work = mkdtempSync(join(tmpdir(), 'raypher-bench-bg-'));
const CTL = join(REPO, 'cli', 'bin', 'raypherctl.js');
/** Asynchronous, so the traffic keeps flowing while a swap or rollback runs. */
const ctlAsync = async (args) => {
  const t = performance.now();
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [CTL, '--home', home, ...args, '--json'], { encoding: 'utf8' });
    return { ok: true, ms: performance.now() - t, out: JSON.parse(stdout) };
  } catch (err) {
    return { ok: false, ms: performance.now() - t, out: String(err.stderr) };
  }
};
const ctl = (args, input) => {
  const t = performance.now();
  try {
    const out = execFileSync(process.execPath, [join(REPO, 'cli', 'bin', 'raypherctl.js'), '--home', home, ...args, '--json'], { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'] });
    return { ok: true, ms: performance.now() - t, out: JSON.parse(out) };
  } catch (err) {
    return { ok: false, ms: performance.now() - t, out: String(err.stderr) };
  }
};

// The bundle, built and extracted as the updater would stage it.
const built = JSON.parse(execFileSync(process.execPath, [join(REPO, 'ops', 'release', 'bin', 'raypher-release.js'), 'bundle', '--out', join(work, 'out'), '--version', '0.1.1', '--release-counter', '2', '--json'], { encoding: 'utf8' }));
const home = join(work, 'home');
mkdirSync(join(home, 'data', 'bundles'), { recursive: true, mode: 0o700 });
mkdirSync(join(work, 'tree'));
execFileSync('tar', ['xzf', built.path, '-C', join(work, 'tree')]);
cpSync(join(work, 'tree'), join(home, 'data', 'bundles', '0.1.1-r2'), { recursive: true });
// The upstream: a JSON answer, or an SSE stream of STREAM_MS when the body asks for one (the stream spans the swap).
const STREAM_MS = 2 * SETTLE;
const upstream = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    if (!body.includes('"stream":true')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const timer = setInterval(() => res.write('data: tick\n\n'), 200);
    setTimeout(() => (clearInterval(timer), res.end('data: [DONE]\n\n')), STREAM_MS);
  });
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
writeFileSync(join(home, 'config.toml'), `[health]\nlisten_port = 0\n[proxy]\nlisten_port = 0\ndefault_upstream = "http://127.0.0.1:${upstream.address().port}"\nrate_limit = 1000000\n[vault]\nprotector = "host"\n[updater]\ntrial_secs = 3600\n`);
const daemon = spawn(process.execPath, [join(REPO, 'supervisor', 'bin', 'raypher.js'), 'run', '--home', home], { stdio: 'ignore' });
let status;
for (let i = 0; i < 200; i++) {
  const s = ctl(['status']);
  if (s.ok && s.out.workers.every((w) => w.state === 'running')) {
    status = s.out;
    break;
  }
  await sleep(200);
}
if (!status) throw new Error('the daemon did not start');
const port = Number(/127\.0\.0\.1:(\d+)/.exec(status.proxyAddress)[1]);
// This script is the allowed agent; the key is a fake one, never printed.
if (!ctl(['seal', '--provider', 'openai', '--from-stdin'], `sk-bench-${Date.now()}`).ok) throw new Error('seal failed');
if (!ctl(['allow', '--exe-path', process.execPath, '--script', fileURLToPath(import.meta.url), '--name', 'bench']).ok) throw new Error('allow failed');

// The traffic runs in a child started after the daemon (the exec ledger saw its exec): this same script in agent mode,
// allow-listed; it takes phase names on stdin and prints its samples when stdin ends.
const agentProc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--agent', String(port), '--rps', String(RPS), '--streams', values.streams, '--settle-ms', String(SETTLE)], { stdio: ['pipe', 'pipe', 'inherit'] });
let agentOut = '';
agentProc.stdout.on('data', (d) => (agentOut += d));
const agentDone = new Promise((r) => agentProc.once('exit', r));
const setPhase = (p) => agentProc.stdin.write(`${p}\n`);
await sleep(SETTLE);
setPhase('swap');
const swap = await ctlAsync(['update', 'apply', '--version', '0.1.1']);
await sleep(SETTLE);
setPhase('steady2');
await sleep(SETTLE);
setPhase('rollback');
const rollback = await ctlAsync(['update', 'rollback']);
await sleep(SETTLE);
agentProc.stdin.end();
await agentDone;
const { samples, streams } = JSON.parse(agentOut);

const p99 = (xs) => {
  const s = xs.map((x) => x.ms).sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.floor(s.length * 0.99)] * 10) / 10 : null;
};
const byPhase = (p) => samples.filter((s) => s.phase === p);
const steady = [...byPhase('steady'), ...byPhase('steady2')];
const report = {
  rps: RPS,
  swap: { ok: swap.ok, ms: Math.round(swap.ms), detail: swap.ok ? swap.out : swap.out.trim() },
  rollback: { ok: rollback.ok, ms: Math.round(rollback.ms), detail: rollback.ok ? rollback.out : rollback.out.trim() },
  requests: samples.length,
  failed: samples.filter((s) => !s.ok).length,
  refused: samples.filter((s) => s.refused).length,
  failures_by_code: Object.entries(samples.filter((s) => !s.ok).reduce((m, s) => ((m[`${s.phase}:${s.keepAlive ? 'keep-alive' : 'new'}:${s.code}`] = (m[`${s.phase}:${s.keepAlive ? 'keep-alive' : 'new'}:${s.code}`] ?? 0) + 1), m), {})),
  p99_ms: { steady: p99(steady.filter((s) => s.ok)), swap: p99(byPhase('swap').filter((s) => s.ok)), rollback: p99(byPhase('rollback').filter((s) => s.ok)) },
  streams: { opened: streams.length, completed: streams.filter((s) => s.ok === true).length, failed: streams.filter((s) => s.ok !== true).length },
  // What each blue proxy's drain took and had to cut when its 30 s ran out (the supervisor's log).
  drains: readdirSync(join(home, 'logs'))
    .filter((f) => f.startsWith('supervisor-'))
    .flatMap((f) => readFileSync(join(home, 'logs', f), 'utf8').split('\n'))
    .filter((l) => l.includes('"blue proxy drained"'))
    .map((l) => JSON.parse(l))
    .map((l) => ({ ms: l.ms, closed_early: l.closed_early })),
  cpus: availableParallelism(),
  load_before: loadBefore,
  load_after: readFileSync('/proc/loadavg', 'utf8').trim(),
};
console.log(JSON.stringify(report, null, 2));
daemon.kill('SIGTERM');
await new Promise((r) => daemon.once('exit', r));
upstream.close();
rmSync(work, { recursive: true, force: true });
