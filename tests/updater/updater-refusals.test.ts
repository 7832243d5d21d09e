// The updater worker refusing: a tampered bundle (audited update.rejected, nothing staged), and an unusable [updater] config.
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UpdateStatus } from '@raypher/shared/ipc';
import { auditEvents, ctl, Daemon, killAll, makeHome, mergeConfig, renderToml, TEST_CONFIG, waitFor, type ConfigTables } from '../helpers/daemon.js';
import { disposeKits, makeKit, publishSynthetic, type Kit } from '../release/helpers/release-kit.js';

afterEach(killAll);
afterAll(disposeKits);

async function updateStatus(home: string): Promise<UpdateStatus> {
  const r = await ctl(home, ['update', 'status', '--json']);
  if (r.stdout.trim() === '') throw new Error(`update status failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as UpdateStatus;
}

const updater = (kit: Kit, extra: Record<string, string | number | boolean> = {}): ConfigTables => ({
  updater: { enabled: true, metadata_url: kit.server.metadataUrl, targets_url: kit.server.targetsUrl, trusted_root: join(kit.keysDir, 'root.json'), ...extra },
});

function logsOf(home: string): string {
  const dir = join(home, 'logs');
  return existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n') : '';
}

describe('updater worker refusals', () => {
  it('a tampered target is refused, audited as update.rejected with the TUF error, and nothing is staged', async () => {
    const kit = await makeKit();
    const t = publishSynthetic(kit, { version: '0.1.2', counter: 2 });
    const file = join(kit.repoDir, 'targets', `${t.sha256}.${t.name}`);
    const bytes = readFileSync(file);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);

    const home = makeHome(updater(kit));
    const d = await Daemon.start(home);
    const failed = await waitFor(async () => {
      const s = await updateStatus(home);
      return s.last_check?.result === 'failed' ? s : undefined;
    }, 60_000, 'the first check to be refused');
    expect(failed).toMatchObject({ state: 'failed', staged: null, available: null, last_check: { error_code: 'ERR_UPDATE_VERIFY', alert: true }, consecutive_failures: 1 });
    expect(readdirSync(join(home, 'data', 'bundles')).filter((n) => !n.endsWith('.json'))).toEqual([]); // the supervisor's slots.json may be there; no bundle is

    const rejected = await auditEvents(home, 'update.rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.data).toMatchObject({ trigger: 'schedule', code: 'ERR_UPDATE_VERIFY', alert: true });
    expect(String(rejected[0]?.data.error)).toMatch(/raypher-bundle-0\.1\.2.* failed TUF verification: .*hash/i);
    expect(await auditEvents(home, 'update.staged')).toEqual([]);

    // An operator check is refused the same way, with exit code 1 and the code.
    const r = await ctl(home, ['update', 'check']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERR_UPDATE_VERIFY: .*hash/i);
    expect((await d.status()).workers.find((w) => w.name === 'updater')).toMatchObject({ state: 'running', restarts: 0 });

    // No private key material anywhere the refusal was reported.
    const reported = JSON.stringify(await auditEvents(home)) + logsOf(home) + r.stdout + r.stderr;
    for (const role of ['root', 'targets', 'snapshot', 'timestamp']) {
      const body = readFileSync(join(kit.keysDir, `${role}.key`), 'utf8').split('\n')[1] ?? 'no key line';
      expect(reported).not.toContain(body);
    }
    await d.stop();
  }, 120_000);

  it('enabled with a missing trusted_root is ERR_UPDATE_CONFIG naming the file, without a crash loop; live config fixes it', async () => {
    const kit = await makeKit();
    publishSynthetic(kit, { version: '0.1.3', counter: 3 });
    const config = (extra: Record<string, string | number | boolean>) => mergeConfig(TEST_CONFIG, updater(kit, { trusted_root: 'missing-root.json', ...extra }));
    const home = makeHome(config({}));
    const missing = join(home, 'missing-root.json');
    const d = await Daemon.start(home);

    const s = await updateStatus(home);
    expect(s).toMatchObject({ enabled: true, state: 'config_error', config_error: { code: 'ERR_UPDATE_CONFIG' }, staged: null, next_check_at: null });
    expect(s.config_error?.message).toContain(`trusted_root ${missing} does not exist`);
    const { healthAddress } = await d.status();
    const health = (await (await fetch(`http://${healthAddress}/health`)).json()) as { updater?: Record<string, unknown> };
    expect(health.updater).toMatchObject({ enabled: true, state: 'config_error', error: { code: 'ERR_UPDATE_CONFIG' } });
    const check = await ctl(home, ['update', 'check']);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`ERR_UPDATE_CONFIG: [updater] trusted_root ${missing} does not exist`);

    // Well past the first-check delay: still running, never restarted, nothing attempted.
    await new Promise((r) => setTimeout(r, 5_000));
    expect((await d.status()).workers.find((w) => w.name === 'updater')).toMatchObject({ state: 'running', restarts: 0 });
    expect((await updateStatus(home)).last_check).toBeNull();

    // Live: disabled says so; then the root installed and enabled again, the next reload schedules a check that stages.
    writeFileSync(join(home, 'config.toml'), renderToml(config({ enabled: false })));
    expect((await ctl(home, ['reload'])).code).toBe(0);
    await waitFor(async () => (await updateStatus(home)).state === 'disabled', 20_000, 'the updater to report disabled');
    const off = await ctl(home, ['update', 'check']);
    expect(off.stderr).toMatch(/ERR_UPDATE_DISABLED: updates are disabled/);
    copyFileSync(join(kit.keysDir, 'root.json'), missing);
    writeFileSync(join(home, 'config.toml'), renderToml(config({ enabled: true })));
    expect((await ctl(home, ['reload'])).code).toBe(0);
    const staged = await waitFor(async () => {
      const st = await updateStatus(home);
      return st.state === 'staged' ? st : undefined;
    }, 60_000, 'the check after the reload to stage 0.1.3');
    expect(staged.staged).toMatchObject({ version: '0.1.3', release_counter: 3 });
    expect((await d.status()).workers.find((w) => w.name === 'updater')?.restarts).toBe(0);
    await d.stop();
  }, 120_000);
});
