#!/usr/bin/env node
// Chaos run (issue 9): a real daemon in a temp home, a real local upstream that counts the key uses it sees,
// allow-listed agents sending 100 requests/s for 60 s, while the proxy worker is killed -9 10 times and the
// vault 5 times. Reports requests sent / succeeded / failed by kind, upstream key uses and proxy.request rows.
// The figure that must hold: upstream key uses = proxy.request rows, up to rows marked incomplete whose request
// was begun but never reached the upstream (exit 1 if any key use lacks a row). Run `npm run build` first.
// Usage: node ops/bench/chaos.mjs [--secs 60] [--rate 100] [--proxy-kills 10] [--vault-kills 5] [--agents 2]
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Db } from '@raypher/shared/db';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    secs: { type: 'string', default: '60' },
    rate: { type: 'string', default: '100' },
    'proxy-kills': { type: 'string', default: '10' },
    'vault-kills': { type: 'string', default: '5' },
    agents: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
  },
});
const SECS = Number(values.secs);
const RATE = Number(values.rate);
const PROXY_KILLS = Number(values['proxy-kills']);
const VAULT_KILLS = Number(values['vault-kills']);
const AGENTS = Number(values.agents);
/** After the traffic stops: how long the rows may take to settle (folds, a last replay), in ms. */
const SETTLE_MS = 20_000;
const KEY = `sk-chaos-${randomBytes(18).toString('hex')}`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

// ---- the upstream: counts requests that carry the real key ------------------------------------------
let keyUses = 0;
let upstreamRequests = 0;
/** The request id Raypher sends with each key use: matched one by one against the proxy.request rows. */
const usedIds = new Set();
const upstream = createServer((req, res) => {
  upstreamRequests++;
  if (req.headers.authorization === `Bearer ${KEY}`) {
    keyUses++;
    usedIds.add(String(req.headers['x-raypher-request-id']));
  }
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'chaos', choices: [{ message: { content: 'ok' } }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
  });
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamPort = upstream.address().port;

// ---- the daemon ------------------------------------------------------------------------------------
const home = mkdtempSync(join(tmpdir(), 'raypher-chaos-'));
// The restart policy is loosened so 10 kills a minute do not mark the proxy failed: this run measures the audit.
writeFileSync(join(home, 'config.toml'), `[health]\nlisten_port = 0\n[proxy]\nlisten_port = 0\nrate_limit = 1000000\ndefault_upstream = "http://127.0.0.1:${upstreamPort}"\n[vault]\nprotector = "host"\n[supervisor]\nmax_restarts = 1000\nbackoff_max_ms = 1000\n`);
// Everything is asynchronous: the upstream runs in this process, so a synchronous child would stall it.
const run = (args, input) =>
  new Promise((resolve) => {
    const child = execFile(process.execPath, args, (err, stdout) => resolve({ code: err ? err.code ?? 1 : 0, stdout }));
    child.stdin.end(input ?? '');
  });
const ctl = async (args, input) => (await run([join(REPO, 'cli', 'bin', 'raypherctl.js'), '--home', home, ...args], input)).stdout;
const sup = spawn(process.execPath, [join(REPO, 'supervisor', 'bin', 'raypher.js'), 'run', '--home', home], { stdio: 'ignore' });
children.push(sup);
const status = async () => JSON.parse(await ctl(['status', '--json']));
async function running(worker, notPid) {
  for (let i = 0; i < 600; i++) {
    try {
      const w = (await status()).workers.find((x) => x.name === worker);
      if (w?.state === 'running' && w.pid && w.pid !== notPid) return w.pid;
    } catch {
      /* not up yet */
    }
    await sleep(50);
  }
  throw new Error(`${worker} never came back`);
}
await running('proxy');
await running('vault');
await ctl(['seal', '--provider', 'openai', '--from-stdin'], KEY);
const base = `http://${(await status()).proxyAddress.split(', ').find((a) => a.startsWith('127.0.0.1:'))}`;

// ---- the agents: open-loop load at RATE/AGENTS each, outcomes by kind --------------------------------
const agentDir = mkdtempSync(join(tmpdir(), 'raypher-chaos-agent-'));
const agentPath = join(agentDir, 'agent.mjs');
writeFileSync(agentPath, `
const [url, rate, secs] = process.argv.slice(2).map((v, i) => (i ? Number(v) : v));
const out = { sent: 0, ok: 0, failed: {} };
const fail = (kind) => (out.failed[kind] = (out.failed[kind] ?? 0) + 1);
const inflight = new Set();
const one = () => {
  out.sent++;
  const p = fetch(url, { method: 'POST', headers: { authorization: 'Bearer dummy', 'content-type': 'application/json' }, body: '{"model":"m","messages":[]}' })
    .then(async (r) => {
      const text = await r.text();
      if (r.status === 200) out.ok++;
      else { let code = ''; try { code = JSON.parse(text).error.code; } catch {} fail(r.status + (code ? ' ' + code : '')); }
    }, (e) => fail('network ' + (e?.cause?.code ?? e?.code ?? e?.name)))
    .finally(() => inflight.delete(p));
  inflight.add(p);
};
const started = Date.now();
const interval = 1000 / rate;
let next = started;
while (Date.now() - started < secs * 1000) {
  one();
  next += interval;
  await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
}
await Promise.allSettled([...inflight]);
console.log(JSON.stringify(out));
`);
await ctl(['allow', '--exe-path', process.execPath, '--script', agentPath, '--name', 'chaos-agent']);
// One warm-up request so the first kill does not land on identification warm-up.
await run([agentPath, `${base}/v1/chat/completions`, '1', '0.5']);
const warmUses = keyUses;

console.error(`chaos: ${RATE} req/s for ${SECS} s from ${AGENTS} agents; kill -9 proxy x${PROXY_KILLS}, vault x${VAULT_KILLS} (home ${home})`);
const agents = Array.from({ length: AGENTS }, () => {
  const child = spawn(process.execPath, [agentPath, `${base}/v1/chat/completions`, String(RATE / AGENTS), String(SECS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  return new Promise((resolve) => child.once('exit', () => resolve(JSON.parse(text || '{"sent":0,"ok":0,"failed":{"agent died":1}}'))));
});

// ---- the kills, spread evenly over the run (proxy and vault interleaved) -----------------------------
const kills = [
  ...Array.from({ length: PROXY_KILLS }, (_, i) => ({ at: ((i + 0.5) * SECS * 1000) / PROXY_KILLS, worker: 'proxy' })),
  ...Array.from({ length: VAULT_KILLS }, (_, i) => ({ at: ((i + 0.25) * SECS * 1000) / VAULT_KILLS, worker: 'vault' })),
].sort((a, b) => a.at - b.at);
const t0 = Date.now();
const done = { proxy: 0, vault: 0 };
for (const k of kills) {
  await sleep(Math.max(0, t0 + k.at - Date.now()));
  const pid = await running(k.worker);
  process.kill(pid, 'SIGKILL');
  done[k.worker]++;
  console.error(`  t=${((Date.now() - t0) / 1000).toFixed(1)} s  kill -9 ${k.worker} (pid ${pid})`);
}
const results = await Promise.all(agents);
await running('proxy');

// ---- the count: rows settle (folds every 250 ms; a last restart replays its journal) ----------------
const dbFile = join(home, 'data', 'raypher.db');
const countRows = async () => {
  const db = await Db.open(dbFile, { readOnly: true });
  try {
    const r = await db.get("SELECT count(*) AS n, sum(json_extract(body, '$.data.incomplete') IS 1) AS incomplete FROM events WHERE type = 'proxy.request'");
    const replayed = await db.all("SELECT body FROM events WHERE type = 'audit.replayed'");
    const ids = await db.all("SELECT json_extract(body, '$.data.request_id') AS id, json_extract(body, '$.data.incomplete') IS 1 AS incomplete FROM events WHERE type = 'proxy.request'");
    const rowIds = new Map(ids.map((x) => [x.id, x.incomplete === 1]));
    const missing = [...usedIds].filter((id) => !rowIds.has(id)).length;
    const extraComplete = [...rowIds].filter(([id, incomplete]) => !usedIds.has(id) && !incomplete).length;
    return { rows: r.n, incomplete: r.incomplete ?? 0, missing, extraComplete, replays: replayed.length, replayedRows: replayed.reduce((s, x) => s + JSON.parse(x.body).data.rows_written, 0) };
  } finally {
    await db.close();
  }
};
let counted = await countRows();
const settleUntil = Date.now() + SETTLE_MS;
while (counted.rows !== keyUses && Date.now() < settleUntil) {
  await sleep(250);
  counted = await countRows();
}
const verify = JSON.parse((await ctl(['audit', 'verify', '--json'])) || '{}');

const sum = (f) => results.reduce((s, r) => s + f(r), 0);
const failedByKind = {};
for (const r of results) for (const [k, n] of Object.entries(r.failed)) failedByKind[k] = (failedByKind[k] ?? 0) + n;
const report = {
  secs: SECS,
  rate: RATE,
  kills: done,
  sent: sum((r) => r.sent),
  succeeded: sum((r) => r.ok),
  failed: sum((r) => Object.values(r.failed).reduce((a, b) => a + b, 0)),
  failed_by_kind: failedByKind,
  upstream_key_uses: keyUses - warmUses,
  upstream_requests_without_key: upstreamRequests - keyUses,
  proxy_request_rows: counted.rows - warmUses,
  rows_marked_incomplete: counted.incomplete,
  journal_replays: counted.replays,
  rows_written_by_replay: counted.replayedRows,
  audit_verify: { ok: verify.ok, code: verify.code, rows: verify.rows, checkpoints: verify.checkpoints?.count, newest_checkpoint_age_secs: verify.checkpoints?.newest?.age_secs },
  key_uses_equal_rows: keyUses === counted.rows,
  // Every key use has a row; a row beyond that is a use begun in the instant before a kill whose request never
  // reached the upstream (journaled before the key leaves, so marked incomplete). Exit 1 if a key use has no row.
  every_key_use_has_a_row: counted.rows >= keyUses && counted.rows - keyUses <= counted.incomplete && counted.missing === 0,
  // Matched by the request id the upstream received: key uses without their row, and complete rows for a request
  // the upstream never saw (both must be 0).
  key_uses_without_row: counted.missing,
  complete_rows_without_key_use: counted.extraComplete,
};
console.log(JSON.stringify(report, null, 2));
sup.kill('SIGTERM');
await new Promise((r) => sup.once('exit', r));
upstream.close();
if (!values.keep) rmSync(home, { recursive: true, force: true });
rmSync(agentDir, { recursive: true, force: true });
process.exit(report.every_key_use_has_a_row && counted.extraComplete === 0 ? 0 : 1);
