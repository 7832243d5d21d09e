// kill -9 of a check during download and during extraction: the next start cleans up or resumes, and nothing unverified is ever staged.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkForUpdate, recoverUpdater, type CheckContext } from '../../workers/updater/src/check.js';
import { updaterPaths } from '../../workers/updater/src/updater-paths.js';
import { stagedProblem } from '../../workers/updater/src/verify-bundle.js';
import { checkContext, disposeKits, makeKit, publishSynthetic, state, type Kit } from './helpers/release-kit.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/run-check.mjs', import.meta.url));
const FILES = 300;

afterEach(disposeKits);

function runCheck(ctx: CheckContext & { killAtEntry?: number }): { child: ChildProcess; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn(process.execPath, [FIXTURE, JSON.stringify(ctx)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, exited: new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal))) };
}

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** After any kill: whatever is marked staged verifies, and no staging leftovers survive a start. */
async function restartAndAssertClean(kit: Kit): Promise<void> {
  const s = await recoverUpdater(kit.dataDir);
  const paths = updaterPaths(kit.dataDir);
  expect(readdirSync(paths.bundles).filter((d) => d.startsWith('.staging-'))).toEqual([]);
  expect(readdirSync(paths.downloads)).toEqual([]);
  expect(existsSync(paths.workMetadata)).toBe(false);
  if (s.staged !== null) expect(stagedProblem(s.staged.dir, s.staged.manifest_sha256)).toBeNull();
  expect(['idle', 'staged']).toContain(s.phase);
}

describe('kill -9 during a check', () => {
  it('during the download: the partial file is removed on start and the next check stages a verified bundle', async () => {
    const kit = await makeKit();
    const t = publishSynthetic(kit, { version: '0.1.1', counter: 1, files: FILES });
    const file = join(kit.repoDir, 'targets', `${t.sha256}.${t.name}`);
    const bytes = readFileSync(file);
    let halfSent = false;
    kit.server.override(`/targets/${t.sha256}.${t.name}`, (_req, res) => {
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(bytes.subarray(0, bytes.length >> 1), () => (halfSent = true)); // then stall
    });
    const { child, exited } = runCheck(checkContext(kit));
    const paths = updaterPaths(kit.dataDir);
    await until('half of the bundle sent and a partial file on disk', () => halfSent && existsSync(paths.downloads) && readdirSync(paths.downloads).length > 0);
    expect(state(kit).phase).toBe('downloading');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(state(kit)).toMatchObject({ phase: 'downloading', staged: null });

    await restartAndAssertClean(kit);
    expect(state(kit)).toMatchObject({ phase: 'idle', staged: null, reason: expect.stringMatching(/previous downloading step was interrupted/) });
    kit.server.clearOverrides();
    const out = await checkForUpdate(checkContext(kit));
    expect(out).toMatchObject({ result: 'staged', staged: { version: '0.1.1' } });
    await restartAndAssertClean(kit);
  });

  it.each([1, 150, FILES + 5])('during extraction (killed after entry %i): the half-extracted tree is never staged', async (killAtEntry) => {
    const kit = await makeKit();
    publishSynthetic(kit, { version: '0.1.1', counter: 1, files: FILES });
    const { exited } = runCheck({ ...checkContext(kit), killAtEntry });
    expect(await exited).toBe('SIGKILL');
    const s = state(kit);
    expect(s).toMatchObject({ phase: 'verifying', staged: null });
    expect(existsSync(s.attempt?.staging_dir ?? '')).toBe(true);

    await restartAndAssertClean(kit);
    expect(state(kit)).toMatchObject({ phase: 'idle', staged: null });
    expect((await checkForUpdate(checkContext(kit))).result).toBe('staged');
    await restartAndAssertClean(kit);
  });

  it('during extraction of a newer release: the bundle staged before stays staged and verified', async () => {
    const kit = await makeKit();
    publishSynthetic(kit, { version: '0.1.1', counter: 1, files: 10 });
    await checkForUpdate(checkContext(kit));
    publishSynthetic(kit, { version: '0.1.2', counter: 2, files: FILES });
    const { exited } = runCheck({ ...checkContext(kit), killAtEntry: 100 });
    expect(await exited).toBe('SIGKILL');
    await restartAndAssertClean(kit);
    expect(state(kit)).toMatchObject({ phase: 'staged', staged: { version: '0.1.1' }, floor: { release_counter: 1 } });
    expect((await checkForUpdate(checkContext(kit))).staged?.version).toBe('0.1.2');
  });

  it('a staged tree changed on disk is dropped at start, and the same release is staged again by the next check', async () => {
    const kit = await makeKit();
    publishSynthetic(kit, { version: '0.1.1', counter: 1 });
    const out = await checkForUpdate(checkContext(kit));
    writeFileSync(join(out.staged?.dir ?? '', 'vault', 'dist', 'main.js'), 'tampered');
    const s = await recoverUpdater(kit.dataDir);
    expect(s).toMatchObject({ phase: 'failed', staged: null, reason: expect.stringMatching(/staged bundle was dropped: .*vault\/dist\/main\.js does not match bundle\.json/) });
    expect(existsSync(out.staged?.dir ?? '')).toBe(false);
    const again = await checkForUpdate(checkContext(kit));
    expect(again).toMatchObject({ result: 'staged', staged: { version: '0.1.1' } });
    expect(stagedProblem(again.staged?.dir ?? '', again.staged?.manifest_sha256 ?? '')).toBeNull();
  });

  it('a second check while one runs is refused with ERR_UPDATE_BUSY', async () => {
    const kit = await makeKit();
    const t = publishSynthetic(kit, { version: '0.1.1', counter: 1 });
    kit.server.override(`/targets/${t.sha256}.${t.name}`, (_req, res) => res.writeHead(200, { 'content-length': 10 }).write('x'));
    const { child, exited } = runCheck(checkContext(kit));
    await until('the first check downloading', () => state(kit).phase === 'downloading');
    await expect(checkForUpdate(checkContext(kit))).rejects.toMatchObject({ code: 'ERR_UPDATE_BUSY' });
    child.kill('SIGKILL');
    await exited;
  });

  it('killed between the rename and `staged`: the renamed tree was never staged and is removed on start', async () => {
    const kit = await makeKit();
    publishSynthetic(kit, { version: '0.1.1', counter: 1 });
    const out = await checkForUpdate(checkContext(kit));
    const dir = out.staged?.dir ?? '';
    // Replay the moment after the rename: the tree is in place, the state still says verifying with nothing staged.
    const file = updaterPaths(kit.dataDir).stateFile;
    const s = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...s, phase: 'verifying', staged: null, floor: { release_counter: 0, sha256: null }, attempt: { target: out.staged?.target, sha256: out.staged?.sha256, staging_dir: `${dir}.gone`, final_dir: dir } }));
    await restartAndAssertClean(kit);
    expect(existsSync(dir)).toBe(false);
    expect(state(kit)).toMatchObject({ phase: 'idle', staged: null });
    expect((await checkForUpdate(checkContext(kit))).staged?.dir).toBe(dir);
  });
});
