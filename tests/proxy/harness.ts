// A real daemon with a sealed canary key in front of a real local upstream, for the proxy's cross-process tests.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, Daemon, killAll, makeHome, run, type CtlResult } from '../helpers/daemon.js';
import { canary, seal } from '../vault/helpers.js';
import { Upstream } from './upstream.js';

export const NODE = process.execPath;

export async function startProxy(upstream: Upstream, extra: Record<string, string | number | boolean> = {}) {
  const home = makeHome({ proxy: { default_upstream: upstream.url, anthropic_upstream: `${upstream.url}/anthropic-api`, ...extra }, vault: { protector: 'host' } });
  const d = await Daemon.start(home);
  const key = canary();
  if ((await seal(home, 'openai', key)).code !== 0) throw new Error('seal failed');
  const addresses = (await d.status()).proxyAddress.split(', ');
  const v4 = addresses.find((a) => a.startsWith('127.0.0.1:')) ?? (addresses[0] as string);
  return { home, d, key, base: `http://${v4}`, port: Number(v4.split(':').at(-1)) };
}

export const allow = (home: string, args: string[]): Promise<CtlResult> => ctl(home, ['allow', ...args]);

/** How many requests reached the upstream with the real key (compared, never printed). */
export function keyUses(upstream: Upstream, key: string): number {
  return upstream.seen.filter((s) => s.headers.authorization === `Bearer ${key}`).length;
}

/** A script in a fresh directory (mode 0755, so other uids may read it). */
export function script(name: string, source: string, dir = mkdtempSync(join(tmpdir(), 'raypher-code-'))): string {
  chmodSync(dir, 0o755);
  const path = join(dir, name);
  writeFileSync(path, source, { mode: 0o644 });
  return path;
}

/** One POST with a dummy token from inside a node program; prints the status (or the error code) on stdout. */
export const FETCH_ONCE = (url: string) =>
  `fetch(${JSON.stringify(url)}, { method: 'POST', headers: { authorization: 'Bearer dummy', 'content-type': 'application/json' }, body: '{}' }).then((r) => console.log(r.status), (e) => console.log(e.cause?.code ?? e.code ?? String(e)));`;

/** Runs a command and returns the last line of its stdout (the status the attacker saw). */
export async function statusOf(cmd: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<string> {
  return (await run(cmd, args, options)).stdout.trim().split('\n').at(-1) ?? '';
}

/** The allowed agent: `node agent.mjs URL`, one POST, prints the status. */
export const AGENT = `${FETCH_ONCE('__URL__').replace('"__URL__"', 'process.argv[2]')}\n`;

/** The allowed python agent: `python3 agent.py URL`, one POST with urllib, prints the status. */
export const PY_AGENT = `import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], data=b'{}', headers={'authorization': 'Bearer dummy', 'content-type': 'application/json'})
try:
    print(urllib.request.urlopen(req).status)
except urllib.error.HTTPError as e:
    print(e.code)
`;

/** A fresh real upstream for each test, handed to `set`; after each test every daemon is killed and the upstream closed. */
export function upstreamPerTest(set: (u: Upstream) => void): void {
  let current: Upstream | undefined;
  beforeEach(async () => {
    current = await Upstream.start();
    set(current);
  });
  afterEach(async () => {
    await killAll();
    await current?.close();
  });
}
