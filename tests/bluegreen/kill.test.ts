// kill -9 of the supervisor during a trial (boot counting) and at each persisted step of a swap: the next start is consistent.
import { join } from 'node:path';
import { auditEvents, ctl, Daemon, killAll, makeHome, pidAlive, waitFor } from '../helpers/daemon.js';
import { buildBundleTree, slotsOf, stage, workerDirs } from './helpers.js';

afterEach(killAll);

let tree: string;
beforeAll(async () => {
  tree = await buildBundleTree('0.1.1', 2);
}, 60_000);

const bundleOf = async (d: Daemon) => new Set(Object.values(workerDirs(await d.waitForAllRunning(60_000))).map((e) => (e.includes(join('data', 'bundles', '0.1.1-r2')) ? '0.1.1' : 'installed')));

/** kill -9 of the supervisor; its workers notice the closed channel and exit (never orphans serving an old slot). */
async function kill9(d: Daemon): Promise<void> {
  const pids = (await d.status()).workers.map((w) => w.pid).filter((p): p is number => p !== null);
  await d.stop('SIGKILL');
  await waitFor(async () => pids.every((p) => !pidAlive(p)) || undefined, 20_000, 'the workers of the killed supervisor to exit');
}

test('kill -9 of the supervisor three times during a trial: each start spends a try, the fourth runs the last-known-good', async () => {
  const home = makeHome({ updater: { trial_secs: 600, boot_tries: 3 } });
  let d = await Daemon.start(home);
  stage(home, tree);
  expect((await ctl(home, ['update', 'apply'])).code).toBe(0);
  expect(slotsOf(home).trial?.tries_left).toBe(3);
  const seen: Array<[number | null, string[]]> = [];
  for (let start = 0; start < 3; start++) {
    await kill9(d);
    d = await Daemon.start(home, [], {});
    seen.push([slotsOf(home).trial?.tries_left ?? null, [...(await bundleOf(d))]]);
  }
  expect(seen).toEqual([
    [2, ['0.1.1']],
    [1, ['0.1.1']],
    [null, ['installed']],
  ]);
  expect(slotsOf(home)).toMatchObject({ active: 'installed', trial: null });
  expect(slotsOf(home).bad[0]).toMatchObject({ version: '0.1.1' });
  const rolled = await auditEvents(home, 'update.rolled_back');
  expect(String(rolled.at(-1)?.data.reason)).toMatch(/boot tries exhausted/);
  await d.stop();
}, 400_000);

test.each([0, 1, 2, 3])('kill -9 of the supervisor once %i worker(s) of a swap moved: the next start runs the previous slot, whole', async (moved) => {
  const home = makeHome({ updater: { trial_secs: 600 } });
  let d = await Daemon.start(home);
  stage(home, tree);
  const apply = ctl(home, ['update', 'apply']);
  await waitFor(async () => {
    const s = slotsOf(home).swap;
    return (s !== null && s.done.length >= moved) || undefined;
  }, 120_000, `the swap to persist ${moved} moved workers`);
  await kill9(d);
  await apply;
  // The last worker can finish moving between the poll and the kill: then the swap was complete and its trial runs.
  const finished = slotsOf(home).swap === null;
  d = await Daemon.start(home);
  expect([...(await bundleOf(d))]).toEqual([finished ? '0.1.1' : 'installed']);
  expect(slotsOf(home)).toMatchObject({ active: finished ? '0.1.1-r2' : 'installed', swap: null });
  // Not marked bad (the supervisor died, not the release).
  expect(slotsOf(home).bad).toEqual([]);
  if (!finished) {
    expect(slotsOf(home).trial).toBeNull();
    expect((await ctl(home, ['update', 'apply'])).code).toBe(0);
    expect([...(await bundleOf(d))]).toEqual(['0.1.1']);
  }
  await d.stop();
}, 400_000);
