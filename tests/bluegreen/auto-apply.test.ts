// The whole unattended path: raypher-release publishes 0.1.1, the updater stages it (bundleStaged) and, with
// [updater] auto_apply on, the supervisor swaps every worker to it and commits after the trial; no operator.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { auditEvents, ctl, Daemon, killAll, makeHome, waitFor } from '../helpers/daemon.js';
import { releaseJson } from '../release/helpers/cli.js';
import { RepoServer } from '../release/helpers/repo-server.js';
import { slotsOf, workerDirs } from './helpers.js';

let dir: string;
let server: RepoServer | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'raypher-bg-auto-'));
});
afterAll(async () => {
  await killAll();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});


test('a bundle the updater stages with auto_apply on is swapped in by the supervisor on its own, then committed', async () => {
  const keys = join(dir, 'keys');
  const repo = join(dir, 'repo');
  await releaseJson(['keygen', '--out', keys]);
  await releaseJson(['init', '--repo', repo, '--keys', keys]);
  const bundle = await releaseJson(['bundle', '--out', join(dir, 'out'), '--version', '0.1.1', '--release-counter', '1']);
  await releaseJson(['publish', '--repo', repo, '--keys', keys, String(bundle.path)]);
  server = await RepoServer.start(repo);
  const home = makeHome({ updater: { enabled: true, metadata_url: server.metadataUrl, targets_url: server.targetsUrl, trusted_root: 'shipped-root.json', auto_apply: true, trial_secs: 5 } });
  copyFileSync(join(keys, 'root.json'), join(home, 'shipped-root.json'));
  const d = await Daemon.start(home);

  // No operator: the first scheduled check stages 0.1.1 and the supervisor applies it.
  await waitFor(async () => (await auditEvents(home, 'update.activated')).length > 0 || undefined, 120_000, 'the automatic swap to 0.1.1');
  const staged = await auditEvents(home, 'update.staged');
  expect(staged.map((e) => e.data)).toEqual([expect.objectContaining({ version: '0.1.1', release_counter: 1, auto_apply: true })]);
  // The updater's staging directory is the slot (its name is the slot id: <version>-r<counter>-<sha prefix>).
  const bundleDir = String(staged[0]?.data.dir);
  const slot = basename(bundleDir);
  expect(slot).toMatch(/^0\.1\.1-r1-/);
  const started = await auditEvents(home, 'update.swap_started');
  expect(started.map((e) => e.data)).toEqual([expect.objectContaining({ kind: 'apply', to: slot, requested_by: 'updater (auto_apply)' })]);
  const s = await d.waitForAllRunning();
  expect(s.bundle).toMatchObject({ version: '0.1.1', release_counter: 1 });
  for (const entry of Object.values(workerDirs(s))) expect(entry.startsWith(bundleDir)).toBe(true);

  // The trial ends clean: committed, the floor raised, so the next check finds nothing newer to stage.
  await waitFor(async () => (slotsOf(home).trial === null && (await auditEvents(home, 'update.committed')).length > 0) || undefined, 60_000, 'the commit');
  expect(slotsOf(home)).toMatchObject({ active: slot, last_known_good: slot, committed_release_counter: 1 });
  const check = await ctl(home, ['update', 'check', '--json']);
  expect(check.stderr).toBe('');
  expect(JSON.parse(check.stdout)).toMatchObject({ result: 'up_to_date' });
  expect(await auditEvents(home, 'update.swap_started')).toHaveLength(1);
  await d.stop();
}, 300_000);
