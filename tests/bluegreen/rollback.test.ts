// Broken releases roll back on their own and are marked bad; an operator rollback; a read-only caller is refused.
import { join } from 'node:path';
import { auditEvents, ctl, Daemon, killAll, makeHome, waitFor } from '../helpers/daemon.js';
import { requestsAsUid } from '../helpers/raw-client.js';
import { buildBundleTree, slotsOf, stage, variantTree, workerDirs } from './helpers.js';

afterEach(killAll);

const NOBODY = 65534;
let tree: string;
beforeAll(async () => {
  tree = await buildBundleTree('0.1.1', 2);
}, 60_000);

const onInstalled = async (d: Daemon) => Object.values(workerDirs(await d.waitForAllRunning())).every((e) => !e.includes(join('data', 'bundles')));

test('a release whose proxy exits at start is refused before blue stops serving, rolled back and marked bad', async () => {
  const home = makeHome({ updater: { trial_secs: 60 } });
  const d = await Daemon.start(home);
  stage(home, variantTree(tree, { version: '0.1.2', counter: 3, worker: 'proxy', prelude: 'process.exit(7);' }));
  const r = await ctl(home, ['update', 'apply', '--json']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('ERR_UPDATE_SWAP');
  expect(await onInstalled(d)).toBe(true);
  expect(slotsOf(home).bad).toEqual([expect.objectContaining({ version: '0.1.2', release_counter: 3 })]);
  expect(slotsOf(home).bad[0]?.reason).toMatch(/proxy did not start/);
  const types = (await auditEvents(home)).map((e) => e.type);
  expect(types).toEqual(expect.arrayContaining(['update.trial_failed', 'update.rolled_back']));
  // Not applied again: the newest staged release not marked bad is none.
  const again = await ctl(home, ['update', 'apply', '--json']);
  expect(again.stderr).toContain('ERR_UPDATE_NOTHING_STAGED');
  await d.stop();
}, 240_000);

test('a release whose scanner crashes 2 s after start rolls every worker back during the trial', async () => {
  const home = makeHome({ updater: { trial_secs: 120 } });
  const d = await Daemon.start(home);
  stage(home, variantTree(tree, { version: '0.1.3', counter: 4, worker: 'scanner', prelude: 'setTimeout(() => process.exit(9), 2000);' }));
  await ctl(home, ['update', 'apply', '--json']);
  await waitFor(async () => slotsOf(home).bad.length > 0 || undefined, 120_000, 'the automatic rollback');
  // The rollback records its end in slots.json once its last worker is seen running (it polls), just after the workers are.
  await waitFor(async () => (slotsOf(home).trial === null && (await onInstalled(d))) || undefined, 60_000, 'every worker back on the installed slot, and the rollback recorded');
  expect(slotsOf(home)).toMatchObject({ active: 'installed', trial: null });
  expect(slotsOf(home).bad[0]).toMatchObject({ version: '0.1.3', release_counter: 4 });
  expect(slotsOf(home).bad[0]?.reason).toMatch(/scanner/);
  const alerts = (await auditEvents(home, 'update.trial_failed')).map((e) => e.data);
  expect(alerts[0]).toMatchObject({ version: '0.1.3' });
  await d.stop();
}, 300_000);

/** A prelude that rewrites this worker's replies to the supervisor's health asks: `health` gets `patch`, or no reply goes out. */
const healthPrelude = (patch: 'unhealthy' | 'silent') => `{
  const send = process.send.bind(process);
  process.send = (m, ...rest) => {
    if (m && m.t === 'res' && m.ok && m.r && typeof m.r.text === 'string' && m.r.health) {
      if (${JSON.stringify(patch)} === 'silent') return true;
      m.r.health.unhealthy = 'self-test failed (test fixture)';
    }
    return send(m, ...rest);
  };
}`;

test.each([
  ['reports itself unhealthy', 'vault', 'unhealthy', /vault reported unhealthy \(self-test failed \(test fixture\)\) during the trial/],
  ['heartbeats but leaves its health reports unanswered', 'updater', 'silent', /updater left 5 health reports in a row unanswered while heartbeating during the trial/],
] as const)('a release whose %s during the trial is rolled back and marked bad', async (_what, worker, patch, reason) => {
  const home = makeHome({ updater: { trial_secs: 120 } });
  const d = await Daemon.start(home);
  stage(home, variantTree(tree, { version: '0.1.4', counter: 5, worker, prelude: healthPrelude(patch) }));
  const applied = await ctl(home, ['update', 'apply', '--json']);
  expect(applied.code).toBe(0);
  await waitFor(async () => slotsOf(home).bad.length > 0 || undefined, 120_000, 'the automatic rollback');
  // The rollback records its end in slots.json once its last worker is seen running (it polls), just after the workers are.
  await waitFor(async () => (slotsOf(home).trial === null && (await onInstalled(d))) || undefined, 60_000, 'every worker back on the installed slot, and the rollback recorded');
  expect(slotsOf(home)).toMatchObject({ active: 'installed', trial: null });
  expect(slotsOf(home).bad[0]).toMatchObject({ version: '0.1.4', release_counter: 5 });
  expect(slotsOf(home).bad[0]?.reason).toMatch(reason);
  const failed = await auditEvents(home, 'update.trial_failed');
  expect(failed.map((e) => e.data)).toEqual([expect.objectContaining({ version: '0.1.4', reason: expect.stringMatching(reason) as unknown })]);
  expect((await auditEvents(home, 'update.rolled_back'))[0]?.data).toMatchObject({ by: 'automatic', to: 'installed' });
  await d.stop();
}, 300_000);

test('update rollback by hand returns to the previous slot and marks the release bad; a read-only caller is refused', async () => {
  const home = makeHome({ updater: { trial_secs: 600 }, service: { socket_group: String(NOBODY) } });
  const d = await Daemon.start(home);
  stage(home, tree);
  expect((await ctl(home, ['update', 'apply'])).code).toBe(0);
  const sock = join(home, 'run', 'control.sock');
  const replies = await requestsAsUid(NOBODY, sock, [
    { m: 'update.slots', p: {} },
    { m: 'update.rollback', p: {} },
    { m: 'update.apply', p: {} },
  ]);
  expect(replies.slice(1)).toEqual([
    { id: 2, ok: true },
    { id: 3, ok: false, code: 'ERR_CONTROL_DENIED' },
    { id: 4, ok: false, code: 'ERR_CONTROL_DENIED' },
  ]);
  expect(slotsOf(home).active).toBe('0.1.1-r2');
  const r = await ctl(home, ['update', 'rollback', '--json']);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ from: '0.1.1-r2', to: 'installed' });
  expect(await onInstalled(d)).toBe(true);
  expect(slotsOf(home).bad[0]).toMatchObject({ version: '0.1.1' });
  const rolled = await auditEvents(home, 'update.rolled_back');
  expect(rolled[0]?.data).toMatchObject({ by: 'operator' });
  expect(String(rolled[0]?.data.reason)).toMatch(/operator rollback by uid/);
  // Nothing left to roll back to.
  const none = await ctl(home, ['update', 'rollback']);
  expect(none.stderr).toContain('ERR_UPDATE_NO_PREVIOUS');
  await d.stop();
}, 300_000);
