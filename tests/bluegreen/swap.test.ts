// 0.1.0 (installed) -> 0.1.1 (built by raypher-release) under proxy traffic: one worker at a time, no failed request, commit after the trial.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { auditEvents, ctl, Daemon, killAll, waitFor } from '../helpers/daemon.js';
import { Upstream } from '../proxy/upstream.js';
import { buildBundleTree, proxyPort, servingHome, slotsOf, stage, Traffic, workerDirs } from './helpers.js';


let upstream: Upstream;
beforeEach(async () => (upstream = await Upstream.start()));
afterEach(async () => {
  await killAll();
  await upstream.close();
});

let tree: string;
beforeAll(async () => {
  tree = await buildBundleTree('0.1.1', 2);
}, 60_000);


test('update apply swaps every worker to 0.1.1 under traffic with no failed request, then commits after the trial', async () => {
  // No rate limit in the way: on a loaded machine the traffic may run for a minute before the swap ends.
  const { home, d } = await servingHome(upstream.url, { updater: { trial_secs: 10 }, proxy: { rate_limit: 1_000_000 } });
  const dir = stage(home, tree);
  const traffic = await Traffic.start(home, proxyPort(await d.status()), 10);
  await new Promise((r) => setTimeout(r, 1000));
  const applied = await ctl(home, ['update', 'apply', '--version', '0.1.1', '--json']);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  expect(JSON.parse(applied.stdout)).toMatchObject({ version: '0.1.1', to: '0.1.1-r2' });
  const s = await d.waitForAllRunning();
  expect(s.bundle).toMatchObject({ version: '0.1.1', release_counter: 2, state: 'trial' });
  for (const [, entry] of Object.entries(workerDirs(s))) expect(entry.startsWith(dir)).toBe(true);
  await new Promise((r) => setTimeout(r, 1000));
  const tally = await traffic.stop();
  // Blue's drain closes a connection only after a response carrying Connection: close: not one failure of any kind.
  expect(tally.failures).toEqual([]);
  expect(tally.answered).toBeGreaterThan(20);
  // Trial ends clean: committed, last-known-good, floor raised.
  // slots.json is written before the audit row: wait for both.
  await waitFor(async () => (slotsOf(home).trial === null && (await auditEvents(home, 'update.committed')).length > 0) || undefined, 30_000, 'the commit');
  expect(slotsOf(home)).toMatchObject({ active: '0.1.1-r2', last_known_good: '0.1.1-r2', committed_release_counter: 2, bad: [] });
  expect(existsSync(join(home, 'data', 'bundles', 'last-known-good.json'))).toBe(true);
  const types = (await auditEvents(home)).map((e) => e.type);
  expect(types).toEqual(expect.arrayContaining(['update.swap_started', 'update.activated', 'update.committed']));
  // One swap, one row (the control route wrote a second one before), naming who asked.
  const started = await auditEvents(home, 'update.swap_started');
  expect(started).toHaveLength(1);
  expect(started[0]?.data).toMatchObject({ kind: 'apply', to: '0.1.1-r2', requested_by: expect.stringMatching(/^uid \d+ pid \d+$/) as unknown });
  expect((await d.status()).bundle).toMatchObject({ version: '0.1.1', state: 'committed' });
  const table = await ctl(home, ['update', 'slots']);
  expect(table.stdout).toMatch(/0\.1\.1\s+2\s+active,last-known-good/);
  await d.stop();
  // The next start runs the committed slot.
  const again = await Daemon.start(home);
  for (const entry of Object.values(workerDirs(await again.status()))) expect(entry.startsWith(dir)).toBe(true);
  await again.stop();
}, 240_000);
