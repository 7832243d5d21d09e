// Blue/green test kit: bundles built once by raypher-release, staged into a home, broken on purpose, and proxy traffic.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusResult } from '@raypher/shared/ipc';
import { ctl, Daemon, makeHome, mergeConfig, type ConfigTables } from '../helpers/daemon.js';
import { releaseJson } from '../release/helpers/cli.js';
import { canary, seal } from '../vault/helpers.js';

/** The supervisor's data/bundles/slots.json, as the tests read it (supervisor/src/slots/slots-file.ts writes it). */
export interface SlotsFile {
  active: string;
  last_known_good: string;
  committed_release_counter: number;
  trial: { slot: string; tries_left: number; started_at: string } | null;
  swap: { done: string[] } | null;
  bad: Array<{ version: string; release_counter: number; reason: string }>;
}

export const slotsOf = (home: string): SlotsFile => JSON.parse(readFileSync(join(home, 'data', 'bundles', 'slots.json'), 'utf8')) as SlotsFile;

/** Builds a bundle with raypher-release and extracts it: the tree the updater would stage. */
export async function buildBundleTree(version: string, counter: number): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'raypher-bg-build-'));
  const built = (await releaseJson(['bundle', '--out', out, '--version', version, '--release-counter', String(counter)])) as { path: string };
  const tree = join(out, 'tree');
  mkdirSync(tree);
  execFileSync('tar', ['xzf', built.path, '-C', tree]);
  return tree;
}

/** A copy of a built tree with another version and counter, one worker's main.js prefixed by `prelude`, bundle.json updated to match. */
export function variantTree(tree: string, o: { version: string; counter: number; worker?: string; prelude?: string }): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'raypher-bg-variant-')), 'tree');
  cpSync(tree, dir, { recursive: true });
  const manifestPath = join(dir, 'bundle.json');
  const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string; release_counter: number; files: Record<string, string> };
  if (o.worker !== undefined && o.prelude !== undefined) {
    const rel = `${o.worker}/dist/main.js`;
    const file = join(dir, rel);
    writeFileSync(file, `${o.prelude}\n${readFileSync(file, 'utf8')}`);
    m.files[rel] = createHash('sha256').update(readFileSync(file)).digest('hex');
  }
  writeFileSync(manifestPath, JSON.stringify({ ...m, version: o.version, release_counter: o.counter }, null, 1));
  return dir;
}

/** Puts a bundle tree where the updater stages verified bundles: <home>/data/bundles/<version>-r<counter>. */
export function stage(home: string, tree: string): string {
  const m = JSON.parse(readFileSync(join(tree, 'bundle.json'), 'utf8')) as { version: string; release_counter: number };
  const dir = join(home, 'data', 'bundles', `${m.version}-r${m.release_counter}`);
  mkdirSync(join(home, 'data', 'bundles'), { recursive: true, mode: 0o700 });
  cpSync(tree, dir, { recursive: true });
  return dir;
}

/** Which bundle each worker process runs from, read from its command line. */
export function workerDirs(status: StatusResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of status.workers) {
    if (w.pid === null) continue;
    const argv = readFileSync(`/proc/${w.pid}/cmdline`, 'utf8').split('\0');
    out[w.name] = argv.find((a) => a.endsWith('main.js')) ?? '';
  }
  return out;
}

export function proxyPort(status: StatusResult): number {
  const m = /127\.0\.0\.1:(\d+)/.exec(status.proxyAddress);
  if (!m) throw new Error(`no IPv4 proxy address in ${status.proxyAddress}`);
  return Number(m[1]);
}

/** The traffic agent: an allow-listed node script; POSTs at `rps`, alternating kept-alive and new connections, until stdin closes; prints its tally. */
const TRAFFIC_AGENT = `
import { Agent, request } from 'node:http';
const [port, rps] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
const tally = { answered: 0, failures: [] };
const inFlight = new Set();
let n = 0;
const one = () => {
  const keepAlive = n++ % 2 === 0;
  const p = new Promise((resolve) => {
    const headers = { authorization: 'Bearer dummy', 'content-type': 'application/json' };
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', headers, agent: keepAlive ? agent : false, timeout: 30000 }, (res) => {
      res.resume();
      res.on('end', () => { if (res.statusCode === 200) tally.answered++; else tally.failures.push('status ' + res.statusCode); resolve(); });
      res.on('error', (e) => { tally.failures.push('body ' + e.message); resolve(); });
    });
    req.on('error', (e) => { tally.failures.push((keepAlive ? 'keep-alive: ' : 'new: ') + (e.code ?? e.message) + ' at ' + new Date().toISOString()); resolve(); });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end('{}');
  });
  inFlight.add(p);
  p.then(() => inFlight.delete(p));
};
const timer = setInterval(one, Math.round(1000 / rps));
process.stdin.resume();
process.stdin.on('end', async () => {
  clearInterval(timer);
  await Promise.all(inFlight);
  agent.destroy();
  console.log(JSON.stringify(tally));
});
`;

export class Traffic {
  private constructor(private readonly proc: ChildProcess, private readonly out: Promise<string>) {}

  /** Allow-lists the agent script in `home`, then starts it against the proxy. */
  static async start(home: string, port: number, rps: number): Promise<Traffic> {
    const dir = mkdtempSync(join(tmpdir(), 'raypher-bg-agent-'));
    chmodSync(dir, 0o755);
    const file = join(dir, 'traffic.mjs');
    writeFileSync(file, TRAFFIC_AGENT, { mode: 0o644 });
    const added = await ctl(home, ['allow', '--exe-path', process.execPath, '--script', file, '--name', 'bluegreen-traffic']);
    if (added.code !== 0) throw new Error(`allow failed: ${added.stderr}`);
    const proc = spawn(process.execPath, [file, String(port), String(rps)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let text = '';
    proc.stdout?.on('data', (d: Buffer) => (text += d.toString()));
    return new Traffic(proc, new Promise((resolve) => proc.once('exit', () => resolve(text))));
  }

  async stop(): Promise<{ answered: number; failures: string[] }> {
    this.proc.stdin?.end();
    return JSON.parse(await this.out) as { answered: number; failures: string[] };
  }
}

/** A home whose proxy forwards to `upstreamUrl` with a sealed canary key. */
export async function servingHome(upstreamUrl: string, extra: ConfigTables = {}): Promise<{ home: string; d: Daemon }> {
  const home = makeHome(mergeConfig({ proxy: { default_upstream: upstreamUrl }, vault: { protector: 'host' } }, extra));
  const d = await Daemon.start(home);
  if ((await seal(home, 'openai', canary())).code !== 0) throw new Error('seal failed');
  return { home, d };
}
