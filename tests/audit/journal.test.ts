// Key uses and audit rows under kill -9 (issue 9): every request the upstream saw with the key has its
// proxy.request row after the proxy restarts, whether it had completed (row not yet folded) or was in flight.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditEvents, ctl, waitFor, type Daemon } from '../helpers/daemon.js';
import { allow, keyUses, NODE, startProxy, upstreamPerTest } from '../proxy/harness.js';
import { filesContaining } from '../vault/helpers.js';
import type { Upstream } from '../proxy/upstream.js';

/**
 * The agent: `node agent.mjs loop URL N` runs N lanes of back-to-back requests and prints each status as it
 * arrives; `node agent.mjs hold URL N` opens N endless streams, prints "open" once all have headers, then waits.
 */
const AGENT = `
const [mode, url, n] = process.argv.slice(2);
const headers = { 'content-type': 'application/json', authorization: 'Bearer dummy' };
const post = () => fetch(url, { method: 'POST', headers, body: '{}' });
if (mode === 'loop') {
  const lane = async () => {
    for (;;) {
      const status = await post().then(async (r) => (await r.arrayBuffer(), r.status), (e) => e?.cause?.code ?? String(e));
      process.stdout.write(status + '\\n');
    }
  };
  for (let i = 0; i < Number(n); i++) void lane();
} else {
  const all = await Promise.all(Array.from({ length: Number(n) }, post));
  console.log('open');
  for (const r of all) r.body.pipeTo(new WritableStream()).catch(() => undefined);
  setInterval(() => {}, 1000);
}
`;

/** Starts the agent and resolves once it printed `line` `times` times (the child keeps running). */
function agentUntil(agent: string, args: string[], line: string, times: number): Promise<ChildProcess> {
  const child = spawn(NODE, [agent, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  let seen = 0;
  return new Promise((resolve) => {
    child.stdout?.on('data', (b: Buffer) => {
      seen += b.toString().split('\n').filter((l) => l === line).length;
      if (seen >= times) resolve(child);
    });
  });
}

let upstream: Upstream;
upstreamPerTest((u) => (upstream = u));

const proxyPid = async (d: Daemon, not?: number) =>
  waitFor(async () => {
    const w = (await d.status()).workers.find((x) => x.name === 'proxy');
    return w?.state === 'running' && w.pid !== null && w.pid !== not ? w.pid : undefined;
  }, 20_000, 'proxy running');

/** proxy.request rows, once their count stops at `expected` (or the wait runs out). */
const requestRows = (home: string, expected: number) =>
  waitFor(async () => {
    const rows = await auditEvents(home, 'proxy.request');
    return rows.length >= expected ? rows : undefined;
  }, 10_000, `${expected} proxy.request rows`).catch(async () => auditEvents(home, 'proxy.request'));

/** A daemon with a sealed canary key, the agent allow-listed, and the proxy worker's pid. */
async function daemonWithAgent() {
  const started = await startProxy(upstream, { rate_limit: 1_000_000 });
  const agent = join(mkdtempSync(join(tmpdir(), 'raypher-agent-')), 'agent.mjs');
  writeFileSync(agent, AGENT);
  expect((await allow(started.home, ['--exe-path', NODE, '--script', agent])).code).toBe(0);
  return { ...started, agent, first: await proxyPid(started.d) };
}

describe('audit journal under kill -9', () => {
  it('a kill -9 just after 200s: every key use the upstream saw gets its row after restart, once', async () => {
    const { home, d, key, base, agent, first } = await daemonWithAgent();
    // Continuous traffic; the kill lands right after a 200, inside the 250 ms rows used to wait in memory.
    const loop = await agentUntil(agent, ['loop', `${base}/v1/chat/completions`, '2'], '200', 60);
    process.kill(first, 'SIGKILL');
    loop.kill('SIGKILL');
    const second = await proxyPid(d, first);
    const uses = keyUses(upstream, key);
    expect(uses).toBeGreaterThanOrEqual(60);
    const rows = await requestRows(home, uses);
    // Every key use has its row. A row beyond that can only be a use begun in the instant before the kill whose
    // request never reached the upstream: it is marked incomplete (recorded before the key leaves, by design).
    const incomplete = rows.filter((r) => r.data.incomplete === true).length;
    expect(rows.length).toBeGreaterThanOrEqual(uses);
    expect(rows.length - uses).toBeLessThanOrEqual(incomplete);
    expect(new Set(rows.map((r) => r.data.request_id)).size).toBe(rows.length);
    expect(rows.filter((r) => r.data.status === 200).length).toBeGreaterThanOrEqual(60);

    // Replay is idempotent: a graceful restart (journal folded again on start) adds no row twice.
    const replays = (await auditEvents(home, 'audit.replayed')).length;
    expect((await ctl(home, ['restart', 'proxy'])).code).toBe(0);
    await proxyPid(d, second);
    expect((await auditEvents(home, 'proxy.request')).length).toBe(rows.length);
    expect((await auditEvents(home, 'audit.replayed')).length).toBe(replays);
    expect((await ctl(home, ['audit', 'verify'])).code).toBe(0);
    await d.stop();
    // The canary key is in no audit row, journal or log, and never in the test's output.
    expect(filesContaining(home, key)).toEqual([]);
    expect(d.stdout.includes(key) || d.stderr.includes(key)).toBe(false);
  });

  it('a kill -9 while streams are in flight: each begun key use gets a row marked incomplete', async () => {
    const { home, d, key, base, agent, first } = await daemonWithAgent();
    const holder = await agentUntil(agent, ['hold', `${base}/v1/stream/forever`, '5'], 'open', 1);
    process.kill(first, 'SIGKILL');
    holder.kill('SIGKILL');
    const uses = keyUses(upstream, key);
    expect(uses).toBe(5);
    await proxyPid(d, first);
    const rows = await requestRows(home, uses);
    expect(rows.length).toBe(uses);
    expect(rows.every((r) => r.data.incomplete === true && r.data.status === null)).toBe(true);
    const replayed = await auditEvents(home, 'audit.replayed');
    expect(replayed.at(-1)?.data).toMatchObject({ rows_written: 5, incomplete: 5 });
    await d.stop();
    expect(filesContaining(home, key)).toEqual([]);
  });
});
