// kill -9 of the updater worker mid-download in a running Raypher: the restarted worker cleans up at start and stages the release.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { UpdateStatus } from '@raypher/shared/ipc';
import { auditEvents, ctl, Daemon, killAll, makeHome, waitFor } from '../helpers/daemon.js';
import { disposeKits, makeKit, publishSynthetic } from '../release/helpers/release-kit.js';

afterEach(killAll);
afterAll(disposeKits);

async function updateStatus(home: string): Promise<UpdateStatus> {
  const r = await ctl(home, ['update', 'status', '--json']);
  if (r.stdout.trim() === '') throw new Error(`update status failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as UpdateStatus;
}

describe('updater worker killed mid-download', () => {
  it('restarts, removes the partial download and stages the release on its next check', async () => {
    const kit = await makeKit();
    const t = publishSynthetic(kit, { version: '0.3.0', counter: 7, files: 64 });
    const path = `/targets/${t.sha256}.${t.name}`;
    const size = statSync(join(kit.repoDir, path)).size;
    // The first download stalls after 1 KiB (well inside the fetcher's 30 s idle timeout).
    kit.server.override(path, (_req, res) => {
      res.writeHead(200, { 'content-length': size });
      res.write(Buffer.alloc(1024, 1));
    });
    const home = makeHome({ updater: { enabled: true, metadata_url: kit.server.metadataUrl, targets_url: kit.server.targetsUrl, trusted_root: join(kit.keysDir, 'root.json') } });
    const d = await Daemon.start(home);
    const downloads = join(home, 'data', 'updater', 'downloads');
    await waitFor(async () => (await updateStatus(home)).state === 'downloading' && readdirSync(downloads).length > 0, 60_000, 'the stalled download');

    const pid = (await d.status()).workers.find((w) => w.name === 'updater')?.pid ?? 0;
    expect(pid).toBeGreaterThan(0);
    kit.server.clearOverrides();
    process.kill(pid, 'SIGKILL');

    const staged = await waitFor(async () => {
      const s = await updateStatus(home).catch(() => undefined);
      return s?.state === 'staged' ? s : undefined;
    }, 90_000, 'the restarted updater to stage 0.3.0');
    expect(staged.staged).toMatchObject({ version: '0.3.0', release_counter: 7, sha256: t.sha256 });
    expect((await d.status()).workers.find((w) => w.name === 'updater')?.restarts).toBeGreaterThanOrEqual(1);
    expect(readdirSync(downloads)).toEqual([]);
    // The clean-up ran at start, before any check (recoverUpdater), and said what it found.
    const logs = readdirSync(join(home, 'logs')).filter((f) => f.startsWith('updater')).map((f) => readFileSync(join(home, 'logs', f), 'utf8')).join('');
    expect(logs).toMatch(/updater state recovered at start.*the previous downloading step was interrupted/);
    expect(readdirSync(join(home, 'data', 'bundles')).filter((n) => !n.endsWith('.json'))).toEqual([staged.staged?.dir.split('/').pop()]); // beside the supervisor's slots.json
    expect(await auditEvents(home, 'update.staged')).toHaveLength(1);
    await d.stop();
  }, 180_000);
});
