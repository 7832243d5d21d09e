// keygen → init → bundle 0.1.1 → publish as real processes; the updater core stages it from a loopback server; a supervisor runs it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@raypher/shared/ipc';
import { Daemon, killAll, makeHome } from '../helpers/daemon.js';
import { checkForUpdate } from '../../workers/updater/src/check.js';
import { stagedProblem } from '../../workers/updater/src/verify-bundle.js';
import { updaterPaths } from '../../workers/updater/src/updater-paths.js';
import { readState } from '../../workers/updater/src/update-state.js';
import { releaseCli, releaseJson } from './helpers/cli.js';
import { RepoServer } from './helpers/repo-server.js';

let dir: string;
let server: RepoServer;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'raypher-e2e-'));
});
afterAll(async () => {
  await killAll();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('release → update end to end', () => {
  it('publishes a real bundle and check() stages 0.1.1, which a supervisor then runs', async () => {
    const keys = join(dir, 'keys');
    const repo = join(dir, 'repo');
    const keygen = await releaseJson(['keygen', '--out', keys]);
    expect(Object.keys(keygen.keyids as object).sort()).toEqual(['root', 'snapshot', 'targets', 'timestamp']);
    const init = await releaseJson(['init', '--repo', repo, '--keys', keys]);
    expect(init.versions).toEqual({ root: 1, targets: 1, snapshot: 1, timestamp: 1 });
    const bundle = await releaseJson(['bundle', '--out', join(dir, 'out'), '--version', '0.1.1', '--release-counter', '1']);
    const published = await releaseJson(['publish', '--repo', repo, '--keys', keys, String(bundle.path)]);
    expect(published.custom).toMatchObject({ version: '0.1.1', release_counter: 1, protocol: PROTOCOL_VERSION, channel: 'stable' });
    expect(published.versions).toEqual({ root: 1, targets: 2, snapshot: 2, timestamp: 2 });
    expect(existsSync(join(repo, 'targets', `${String(bundle.sha256)}.${String(published.target)}`))).toBe(true);

    server = await RepoServer.start(repo);
    const data = join(dir, 'data');
    const ctx = { dataDir: data, protocols: [PROTOCOL_VERSION], settings: { metadataUrl: server.metadataUrl, targetsUrl: server.targetsUrl, trustedRoot: join(keys, 'root.json'), channel: 'stable', checkIntervalSecs: 21_600 } };
    const outcome = await checkForUpdate(ctx);
    expect(outcome.result).toBe('staged');
    expect(outcome.staged).toMatchObject({ version: '0.1.1', release_counter: 1, sha256: bundle.sha256 });
    const stagedDir = outcome.staged?.dir ?? '';
    expect(stagedProblem(stagedDir, outcome.staged?.manifest_sha256 ?? '')).toBeNull();
    const paths = updaterPaths(data);
    const st = readState(paths.stateFile, new Date());
    expect(st).toMatchObject({ phase: 'staged', floor: { release_counter: 1 }, consecutive_failures: 0 });
    const trustedTimestamp = JSON.parse(readFileSync(join(paths.trustedMetadata, 'timestamp.json'), 'utf8')) as { signed: { version: number } };
    expect(trustedTimestamp.signed.version).toBe(2);

    // A second check finds nothing newer and keeps the staged bundle.
    const again = await checkForUpdate(ctx);
    expect(again).toMatchObject({ result: 'up_to_date', newest: { version: '0.1.1', release_counter: 1 } });

    // The staged tree is a working bundle: the real supervisor starts all four workers from it.
    const home = makeHome({ supervisor: { bundle_dir: stagedDir } });
    const d = await Daemon.start(home);
    await d.stop();
    rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('refuses unsafe key files and keys the root does not name, without printing key material', async () => {
    const keys = join(dir, 'keys');
    const other = join(dir, 'other-keys');
    await releaseJson(['keygen', '--out', other]);
    const wrong = await releaseCli(['refresh', '--repo', join(dir, 'repo'), '--keys', other]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/ERR_RELEASE_KEYS: the snapshot key in .* is not the one root v1 names/);
    const again = await releaseCli(['keygen', '--out', keys]);
    expect(again.stderr).toMatch(/ERR_RELEASE_KEYS: .* refusing to overwrite/);
    const { chmodSync } = await import('node:fs');
    chmodSync(join(keys, 'targets.key'), 0o644);
    const loose = await releaseCli(['refresh', '--repo', join(dir, 'repo'), '--keys', keys]);
    expect(loose.stderr).toMatch(/ERR_RELEASE_KEYS: .*targets\.key has mode 644.*chmod 600/);
    const missingRepo = await releaseCli(['refresh', '--repo', join(dir, 'no-repo'), '--keys', other]);
    expect(missingRepo.stderr).toMatch(/ERR_RELEASE_REPO: .*run raypher-release init/);
    const all = [wrong, again, loose, missingRepo].map((r) => r.stdout + r.stderr).join('\n');
    for (const f of ['root', 'targets', 'snapshot', 'timestamp']) {
      const pem = readFileSync(join(other, `${f}.key`), 'utf8').split('\n')[1] ?? 'x';
      expect(all).not.toContain(pem);
    }
  }, 60_000);
});
