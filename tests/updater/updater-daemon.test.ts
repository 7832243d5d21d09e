// The updater worker in a running Raypher: release tool → loopback repository → staged bundle; status, /health, metrics, pause, access.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UpdateStatus } from '@raypher/shared/ipc';
import { auditEvents, ctl, Daemon, killAll, makeHome, run, waitFor } from '../helpers/daemon.js';
import { requestsAsUid } from '../helpers/raw-client.js';
import { releaseJson } from '../release/helpers/cli.js';
import { RepoServer } from '../release/helpers/repo-server.js';

const NOBODY = 65534;
let dir: string;
let server: RepoServer | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'raypher-updater-'));
});
afterAll(async () => {
  await killAll();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

export async function updateStatus(home: string): Promise<UpdateStatus> {
  const r = await ctl(home, ['update', 'status', '--json']);
  if (r.stdout.trim() === '') throw new Error(`update status failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as UpdateStatus;
}

describe('updater worker end to end', () => {
  it('keygen → init → bundle 0.1.1 → publish; a running Raypher stages it and reports it everywhere', async () => {
    const keys = join(dir, 'keys');
    const repo = join(dir, 'repo');
    await releaseJson(['keygen', '--out', keys]);
    await releaseJson(['init', '--repo', repo, '--keys', keys]);
    const bundle = await releaseJson(['bundle', '--out', join(dir, 'out'), '--version', '0.1.1', '--release-counter', '1']);
    await releaseJson(['publish', '--repo', repo, '--keys', keys, String(bundle.path)]);
    server = await RepoServer.start(repo);

    // trusted_root is relative: it resolves beside the config file in force.
    const home = makeHome({
      updater: { enabled: true, metadata_url: server.metadataUrl, targets_url: server.targetsUrl, trusted_root: 'shipped-root.json', auto_apply: false },
      service: { socket_group: String(NOBODY) },
    });
    copyFileSync(join(keys, 'root.json'), join(home, 'shipped-root.json'));
    const d = await Daemon.start(home);

    const staged = await waitFor(async () => {
      const s = await updateStatus(home);
      return s.state === 'staged' ? s : undefined;
    }, 90_000, 'the scheduled first check to stage 0.1.1');
    expect(staged).toMatchObject({
      enabled: true,
      paused: false,
      installed: { release_counter: 0 },
      staged: { version: '0.1.1', release_counter: 1, sha256: bundle.sha256 },
      available: { version: '0.1.1', release_counter: 1 },
      last_check: { result: 'staged', error_code: null, alert: false },
      consecutive_failures: 0,
    });
    expect(Date.parse(staged.next_check_at ?? '')).toBeGreaterThan(Date.now() + 20_000 * 1000);
    expect(JSON.parse(readFileSync(join(staged.staged?.dir ?? '', 'bundle.json'), 'utf8'))).toMatchObject({ version: '0.1.1', release_counter: 1 });

    // The text form names the same facts.
    const text = await ctl(home, ['update', 'status']);
    expect(text.stdout).toMatch(/updater: staged/);
    expect(text.stdout).toMatch(/staged: +0\.1\.1 \(release_counter 1\)/);

    const { healthAddress } = await d.status();
    const health = (await (await fetch(`http://${healthAddress}/health`)).json()) as { updater?: Record<string, unknown> };
    expect(health.updater).toMatchObject({ enabled: true, state: 'staged', installed: { release_counter: 0 }, available: { version: '0.1.1', release_counter: 1 }, last_check: { result: 'staged' } });

    const metrics = await (await fetch(`http://${healthAddress}/metrics`)).text();
    for (const series of ['raypher_updater_staged_release 1', 'raypher_updater_available_release 1', 'raypher_updater_state{state="staged"} 1', 'raypher_updater_checks_total{result="staged"} 1', 'raypher_updater_enabled 1', 'raypher_updater_last_check_success 1']) {
      expect(metrics).toContain(series);
    }
    const promtool = await run('promtool', ['check', 'metrics'], {}, metrics);
    expect({ code: promtool.code, out: promtool.stdout + promtool.stderr }).toEqual({ code: 0, out: '' });

    // An operator check now finds nothing newer.
    const again = await ctl(home, ['update', 'check', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ result: 'up_to_date', available: { version: '0.1.1' }, staged: { version: '0.1.1' }, handed_over: false });

    // Pause: checks are refused until resumed; both audited.
    expect((await ctl(home, ['update', 'pause'])).code).toBe(0);
    const refused = await ctl(home, ['update', 'check']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ERR_UPDATE_PAUSED: .*raypherctl update resume/);
    expect(await updateStatus(home)).toMatchObject({ paused: true, next_check_at: null });
    expect((await ctl(home, ['update', 'resume', '--json'])).code).toBe(0);
    expect((await updateStatus(home)).paused).toBe(false);

    // A read-only caller may read the status but not check, stage or pause.
    const replies = await requestsAsUid(NOBODY, join(home, 'run', 'control.sock'), [
      { m: 'update.status', p: {} },
      { m: 'update.check', p: {} },
      { m: 'update.download', p: {} },
      { m: 'update.pause', p: {} },
    ]);
    expect(replies).toEqual([
      { id: 1, ok: true },
      { id: 2, ok: true },
      { id: 3, ok: false, code: 'ERR_CONTROL_DENIED' },
      { id: 4, ok: false, code: 'ERR_CONTROL_DENIED' },
      { id: 5, ok: false, code: 'ERR_CONTROL_DENIED' },
    ]);
    expect((await updateStatus(home)).paused).toBe(false);

    const types = (await auditEvents(home)).filter((e) => e.type.startsWith('update.')).map((e) => e.type);
    expect(types).toEqual(['update.checked', 'update.staged', 'update.checked', 'update.paused', 'update.resumed']);
    const stagedRow = (await auditEvents(home, 'update.staged'))[0];
    expect(stagedRow?.data).toMatchObject({ version: '0.1.1', release_counter: 1, sha256: bundle.sha256, auto_apply: false });

    expect((await d.status()).workers.find((w) => w.name === 'updater')?.restarts).toBe(0);
    await d.stop();
    rmSync(home, { recursive: true, force: true });
  }, 240_000);
});
