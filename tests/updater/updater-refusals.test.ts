// The updater worker refusing: a tampered bundle, expired or rolled-back metadata, endless data and a bundle.json that
// contradicts its signed protocol (each audited update.rejected with the error, alert queued, nothing new staged); a
// release for a newer protocol, which is reported without a refusal; and an unusable [updater] config.
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Db } from '@raypher/shared/db';
import { PROTOCOL_VERSION, type UpdateStatus } from '@raypher/shared/ipc';
import { addTarget, refreshRepo } from '../../ops/release/src/repository.js';
import { currentNode, currentPlatform } from '../../workers/updater/src/release-format.js';
import { auditEvents, ctl, Daemon, killAll, makeHome, mergeConfig, renderToml, TEST_CONFIG, waitFor, type ConfigTables } from '../helpers/daemon.js';
import { metadataBytes } from '../release/helpers/forge.js';
import { disposeKits, makeKit, publishSynthetic, syntheticBundle, type Kit } from '../release/helpers/release-kit.js';

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

async function alertRows(home: string): Promise<Array<{ type: string; source: string; message: string }>> {
  const db = await Db.open(join(home, 'data', 'raypher.db'), { readOnly: true });
  try {
    return await db.all<{ type: string; source: string; message: string }>('SELECT type, source, message FROM alerts ORDER BY id');
  } finally {
    await db.close();
  }
}

/** A running Raypher (auto_apply off: nothing is activated) whose first scheduled check has staged 0.1.1. */
async function stagedDaemon(kit: Kit): Promise<{ home: string; d: Daemon }> {
  publishSynthetic(kit, { version: '0.1.1', counter: 1 });
  const home = makeHome(updater(kit, { auto_apply: false }));
  const d = await Daemon.start(home);
  await waitFor(async () => (await updateStatus(home)).state === 'staged', 60_000, 'the first check to stage 0.1.1');
  return { home, d };
}

interface Attack {
  readonly name: string;
  readonly code: string;
  /** The refusal's message: tuf-js's own words for a TUF failure. */
  readonly error: RegExp;
  readonly arrange: (kit: Kit, home: string) => Promise<void>;
}

const ATTACKS: readonly Attack[] = [
  {
    name: 'freeze: an expired timestamp',
    code: 'ERR_UPDATE_VERIFY',
    error: /update metadata from .* failed TUF verification: .*timestamp.*expired/i,
    arrange: async (kit) => {
      publishSynthetic(kit, { version: '0.1.2', counter: 2 });
      refreshRepo(kit.repoDir, kit.keys, kit.keysDir, new Date(Date.now() - 8 * 86_400_000));
    },
  },
  {
    name: 'rollback: an older timestamp than the one already seen',
    code: 'ERR_UPDATE_VERIFY',
    error: /failed TUF verification: .*New timestamp version 2 is less than current version 3/,
    arrange: async (kit, home) => {
      const old = metadataBytes(kit.repoDir, 'timestamp.json');
      publishSynthetic(kit, { version: '0.1.2', counter: 2 });
      const seen = await ctl(home, ['update', 'download', '--json']); // the worker sees timestamp v3 and stages 0.1.2
      expect(JSON.parse(seen.stdout)).toMatchObject({ result: 'staged', staged: { version: '0.1.2' } });
      kit.server.override('/metadata/timestamp.json', (_req, res) => res.end(old));
    },
  },
  {
    name: 'endless data: more bytes than the signed length',
    code: 'ERR_UPDATE_VERIFY',
    error: /bundle raypher-bundle-0\.1\.2.* failed TUF verification: .* sent more than its signed length of \d+ bytes/,
    arrange: async (kit) => {
      const t = publishSynthetic(kit, { version: '0.1.2', counter: 2 });
      kit.server.override(`/targets/${t.sha256}.${t.name}`, (_req, res) => {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 7);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      });
    },
  },
  {
    name: "another protocol: bundle.json names a protocol its signed metadata does not",
    code: 'ERR_UPDATE_ARCHIVE',
    error: new RegExp(`bundle\\.json says protocol ${PROTOCOL_VERSION + 1} but the signed metadata says ${PROTOCOL_VERSION}`),
    arrange: async (kit) => {
      const path = syntheticBundle(kit.dir, { version: '0.1.2', counter: 2, protocol: PROTOCOL_VERSION + 1 });
      const custom = { version: '0.1.2', release_counter: 2, protocol: PROTOCOL_VERSION, channel: 'stable', platform: currentPlatform(), node_abi: currentNode().abi };
      addTarget(kit.repoDir, path, 'raypher-bundle-0.1.2-x.tgz', custom, kit.keys, kit.keysDir, new Date());
    },
  },
];

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

  it.each(ATTACKS)('$name: refused, audited as update.rejected with the error, an alert queued, the staged bundle kept', async (attack) => {
    const kit = await makeKit();
    const { home, d } = await stagedDaemon(kit);
    await attack.arrange(kit, home);
    const before = await updateStatus(home);

    const r = await ctl(home, ['update', 'check']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${attack.code}: `);
    expect(r.stderr).toMatch(attack.error);
    expect(await updateStatus(home)).toMatchObject({ state: 'failed', staged: { version: before.staged?.version }, last_check: { result: 'failed', error_code: attack.code, alert: true } });

    const rejected = await auditEvents(home, 'update.rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.data).toMatchObject({ trigger: 'operator', code: attack.code, alert: true });
    expect(String(rejected[0]?.data.error)).toMatch(attack.error);
    const alerts = await alertRows(home);
    expect(alerts).toEqual([{ type: 'update.rejected', source: 'updater', message: expect.stringContaining(`(${attack.code}): `) }]);
    expect(alerts[0]?.message).toMatch(attack.error);
    expect((await d.status()).workers.find((w) => w.name === 'updater')).toMatchObject({ state: 'running', restarts: 0 });
    await d.stop();
  }, 120_000);

  it('a newer release for another protocol: up to date, named in update status and /health, no refusal and no alert', async () => {
    const kit = await makeKit();
    publishSynthetic(kit, { version: '0.2.0', counter: 2, protocol: PROTOCOL_VERSION + 1 });
    const { home, d } = await stagedDaemon(kit);
    const check = await ctl(home, ['update', 'check', '--json']);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ result: 'up_to_date', staged: { version: '0.1.1' } });

    const s = await updateStatus(home);
    expect(s).toMatchObject({ state: 'staged', consecutive_failures: 0, staged: { version: '0.1.1' }, last_check: { result: 'up_to_date', error_code: null, alert: false } });
    expect(s.last_check?.detail).toMatch(new RegExp(`a newer release needs a newer supervisor: raypher-bundle-0\\.2\\.0.* speaks IPC protocol ${PROTOCOL_VERSION + 1}, this supervisor speaks ${PROTOCOL_VERSION}; update the Raypher package`));
    const text = await ctl(home, ['update', 'status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('a newer release needs a newer supervisor');
    const { healthAddress } = await d.status();
    const health = (await (await fetch(`http://${healthAddress}/health`)).json()) as { updater?: Record<string, unknown> };
    expect(health.updater).toMatchObject({ state: 'staged', last_check: { result: 'up_to_date', alert: false }, needs_supervisor: { version: '0.2.0', release_counter: 2, protocol: PROTOCOL_VERSION + 1 } });

    expect(await auditEvents(home, 'update.rejected')).toEqual([]);
    expect(await auditEvents(home, 'update.failed')).toEqual([]);
    expect(await alertRows(home)).toEqual([]);
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
