// One update check: TUF refresh, choose a target, download it capped, verify, extract into a staging dir, mark it staged.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Updater, type TargetFile } from 'tuf-js';
import { isRaypherError, toRaypherError, type RaypherError } from '@raypher/shared/errors';
import { fsyncDir } from './atomic-file.js';
import { breakerTripped, nextCheckDelaySecs } from './backoff.js';
import { CappedFetcher, FETCH_TIMEOUTS, sentTooMuch, type FetchTimeouts } from './capped-fetcher.js';
import { extractEntries, type OnEntry } from './extract-bundle.js';
import { ensureUpdaterDirs, recoverState, removeLeftovers } from './recover.js';
import { currentNode, currentPlatform, type TargetCustom } from './release-format.js';
import { needsSupervisorNote, selectTarget, type Candidate, type SignedTarget } from './select-target.js';
import { validateSettings, type UpdaterSettings } from './settings.js';
import { StateStore } from './state-store.js';
import { readBundleArchive, UnsafeArchiveError, type ArchiveLimits } from './tar-reader.js';
import { commitWorkMetadata, prepareWorkMetadata, readWorkTargetsFile, seedTrustedMetadata } from './trusted-metadata.js';
import { archiveError, configError, describe, fetchError, pausedError, verifyError } from './update-errors.js';
import type { StagedBundle, UpdaterState, WaitingRelease } from './update-state.js';
import { withUpdaterLock } from './updater-lock.js';
import { STAGING_PREFIX, updaterPaths, type UpdaterPaths } from './updater-paths.js';
import { checkArchiveManifest } from './verify-bundle.js';

export const ARCHIVE_LIMITS: ArchiveLimits = { maxBytes: 512 * 1024 * 1024, maxEntries: 100_000 };

export interface CheckContext {
  readonly dataDir: string;
  readonly settings: UpdaterSettings;
  /** IPC protocol versions the running supervisor speaks. */
  readonly protocols: readonly number[];
  /** release_counter of the bundle the supervisor runs now (the activation floor); 0 when unknown. */
  readonly installedCounter?: number;
  /** release_counters activation marked bad: skipped. */
  readonly badCounters?: readonly number[];
  readonly platform?: string;
  readonly nodeAbi?: string;
  readonly limits?: ArchiveLimits;
  readonly timeouts?: FetchTimeouts;
  readonly now?: () => Date;
  readonly onEntry?: OnEntry;
}

export interface CheckOutcome {
  readonly result: 'staged' | 'up_to_date';
  readonly staged: StagedBundle | null;
  readonly newest: { readonly version: string; readonly release_counter: number } | null;
  readonly skipped: readonly string[];
  /** A newer release this supervisor cannot run (another IPC protocol): reported, not refused. */
  readonly needsSupervisor: WaitingRelease | null;
  readonly state: UpdaterState;
}

const waitingRelease = (c: Candidate | null): WaitingRelease | null => (c === null ? null : { version: c.custom.version, release_counter: c.custom.release_counter, protocol: c.custom.protocol });

function signedTargets(json: unknown): SignedTarget[] {
  const targets = (json as { signed?: { targets?: Record<string, { hashes?: { sha256?: unknown }; custom?: unknown }> } }).signed?.targets ?? {};
  return Object.entries(targets).map(([name, t]) => ({ name, sha256: typeof t.hashes?.sha256 === 'string' ? t.hashes.sha256 : '', custom: t.custom }));
}

function classify(err: unknown, fetcher: CappedFetcher, what: string): RaypherError {
  if (isRaypherError(err)) return err;
  if (err instanceof UnsafeArchiveError) return archiveError(`${what}: ${err.message}`, err);
  // More bytes than signed is the server lying about a signed length (endless data), not the network failing.
  if (fetcher.lastFailure !== null && sentTooMuch(fetcher.lastFailure)) return verifyError(`${what} failed TUF verification: ${describe(fetcher.lastFailure)}`, err);
  if (fetcher.lastFailure !== null) return fetchError(`${what}: ${describe(fetcher.lastFailure)}; check [updater] metadata_url/targets_url and the network`, err);
  return verifyError(`${what} failed TUF verification: ${describe(err)}`, err);
}

class Check {
  private readonly fetcher: CappedFetcher;
  private readonly updater: Updater;

  constructor(
    private readonly ctx: CheckContext,
    private readonly paths: UpdaterPaths,
    private readonly store: StateStore,
    private readonly now: () => Date,
  ) {
    this.fetcher = new CappedFetcher(paths.downloads, ctx.timeouts ?? FETCH_TIMEOUTS);
    const metadataDir = prepareWorkMetadata(paths);
    try {
      this.updater = new Updater({ metadataDir, metadataBaseUrl: ctx.settings.metadataUrl, targetBaseUrl: ctx.settings.targetsUrl, targetDir: paths.downloads, fetcher: this.fetcher });
    } catch (err) {
      throw configError(`the trusted TUF root in ${paths.trustedMetadata} (seeded from ${ctx.settings.trustedRoot}) cannot be loaded (${describe(err)}); reinstall the shipped root.json`);
    }
  }

  async run(): Promise<CheckOutcome> {
    const { settings } = this.ctx;
    try {
      await this.updater.refresh();
    } catch (err) {
      throw classify(err, this.fetcher, `update metadata from ${settings.metadataUrl}`);
    }
    const state = this.store.current;
    const installed = this.ctx.installedCounter ?? 0;
    const floor = installed > state.floor.release_counter ? { release_counter: installed, sha256: null } : state.floor;
    const selection = selectTarget(signedTargets(readWorkTargetsFile(this.paths)), {
      platform: this.ctx.platform ?? currentPlatform(),
      nodeAbi: this.ctx.nodeAbi ?? currentNode().abi,
      channel: settings.channel,
      protocols: this.ctx.protocols,
      floor,
      restageFloor: state.staged === null,
      bad: this.ctx.badCounters ?? [],
    });
    if (selection.kind === 'refused') throw verifyError(`refusing the update: ${selection.reason}`);
    const needsSupervisor = waitingRelease(selection.needsSupervisor);
    const note = selection.needsSupervisor === null ? '' : `; ${needsSupervisorNote(selection.needsSupervisor, this.ctx.protocols)}`;
    if (selection.kind === 'up_to_date') {
      commitWorkMetadata(this.paths);
      const newest = selection.newest === null ? null : { version: selection.newest.custom.version, release_counter: selection.newest.custom.release_counter };
      const detail = note === '' ? `nothing newer than release_counter ${floor.release_counter}` : `nothing newer this supervisor can run than release_counter ${floor.release_counter}${note}`;
      return { result: 'up_to_date', staged: state.staged, newest, skipped: [], needsSupervisor, state: this.succeed(state.staged, 'up_to_date', detail, needsSupervisor) };
    }
    const staged = await this.stage(selection.candidate);
    commitWorkMetadata(this.paths);
    const previous = state.staged;
    const detail = `staged ${staged.version} (release_counter ${staged.release_counter})${note}`;
    const next = this.succeed(staged, 'staged', detail, needsSupervisor, { release_counter: staged.release_counter, sha256: staged.sha256 });
    if (previous !== null && previous.dir !== staged.dir) rmSync(previous.dir, { recursive: true, force: true });
    return { result: 'staged', staged, newest: { version: staged.version, release_counter: staged.release_counter }, skipped: selection.skipped, needsSupervisor, state: next };
  }

  private async stage(c: Candidate): Promise<StagedBundle> {
    const info: TargetFile | undefined = await this.updater.getTargetInfo(c.name);
    if (info === undefined) throw verifyError(`target ${c.name} vanished from the verified targets metadata`);
    this.store.update({ phase: 'downloading', since: this.now().toISOString(), attempt: { target: c.name, sha256: c.sha256, staging_dir: null, final_dir: null } });
    const file = join(this.paths.downloads, `${c.sha256}.tgz`);
    try {
      await this.updater.downloadTarget(info, file);
    } catch (err) {
      throw classify(err, this.fetcher, `bundle ${c.name} from ${this.ctx.settings.targetsUrl}`);
    }
    const stagingDir = join(this.paths.bundles, `${STAGING_PREFIX}${c.custom.release_counter}-${c.sha256.slice(0, 12)}`);
    const dir = join(this.paths.bundles, `${c.custom.version}-r${c.custom.release_counter}-${c.sha256.slice(0, 12)}`);
    this.store.update({ phase: 'verifying', since: this.now().toISOString(), attempt: { target: c.name, sha256: c.sha256, staging_dir: stagingDir, final_dir: dir } });
    const { manifestSha256 } = this.unpack(readFileSync(file), c.name, c.custom, stagingDir);
    rmSync(file, { force: true });
    // A leftover from a check killed between this rename and `staged` (never marked staged, so never trusted).
    if (this.store.current.staged?.dir !== dir) rmSync(dir, { recursive: true, force: true });
    renameSync(stagingDir, dir);
    fsyncDir(this.paths.bundles);
    return { target: c.name, version: c.custom.version, release_counter: c.custom.release_counter, protocol: c.custom.protocol, sha256: c.sha256, manifest_sha256: manifestSha256, dir, staged_at: this.now().toISOString() };
  }

  private unpack(tgz: Buffer, target: string, custom: TargetCustom, stagingDir: string): { manifestSha256: string } {
    let entries;
    try {
      entries = readBundleArchive(tgz, this.ctx.limits ?? ARCHIVE_LIMITS);
    } catch (err) {
      throw err instanceof UnsafeArchiveError ? archiveError(`bundle ${target} is not a safe archive: ${err.message}; nothing was staged`, err) : err;
    }
    const checked = checkArchiveManifest(entries, custom, target);
    extractEntries(entries, stagingDir, this.ctx.onEntry);
    return { manifestSha256: checked.manifestSha256 };
  }

  private succeed(staged: StagedBundle | null, result: 'staged' | 'up_to_date', detail: string, needsSupervisor: WaitingRelease | null, floor?: UpdaterState['floor']): UpdaterState {
    const now = this.now();
    return this.store.update({
      phase: staged === null ? 'idle' : 'staged',
      since: now.toISOString(),
      reason: null,
      attempt: null,
      staged,
      ...(floor === undefined ? {} : { floor }),
      last_check: { at: now.toISOString(), result, detail, error_code: null, alert: false },
      needs_supervisor: needsSupervisor,
      consecutive_failures: 0,
      next_check_at: new Date(now.getTime() + this.ctx.settings.checkIntervalSecs * 1000).toISOString(),
    });
  }
}

function fail(paths: UpdaterPaths, store: StateStore, err: RaypherError, intervalSecs: number, now: Date): void {
  removeLeftovers(paths);
  const failures = store.current.consecutive_failures + 1;
  const verification = err.code === 'ERR_UPDATE_VERIFY' || err.code === 'ERR_UPDATE_ARCHIVE';
  store.update({
    phase: 'failed',
    since: now.toISOString(),
    reason: `${err.code}: ${err.message}`,
    attempt: null,
    last_check: { at: now.toISOString(), result: 'failed', detail: err.message, error_code: err.code, alert: verification || breakerTripped(failures) },
    consecutive_failures: failures,
    next_check_at: new Date(now.getTime() + nextCheckDelaySecs(intervalSecs, failures) * 1000).toISOString(),
  });
}

/** Runs one check under the updater lock; on failure the state says why and the typed error is thrown. */
export async function checkForUpdate(ctx: CheckContext): Promise<CheckOutcome> {
  const now = ctx.now ?? (() => new Date());
  const settings = validateSettings(ctx.settings);
  const paths = updaterPaths(ctx.dataDir);
  ensureUpdaterDirs(paths);
  return withUpdaterLock(paths.lockFile, async () => {
    const store = new StateStore(paths.stateFile, now());
    recoverState(paths, store, now());
    if (store.current.paused) throw pausedError();
    try {
      seedTrustedMetadata(paths, settings.trustedRoot);
      store.update({ phase: 'checking', since: now().toISOString(), reason: null, attempt: null });
      return await new Check({ ...ctx, settings }, paths, store, now).run();
    } catch (err) {
      const typed = toRaypherError(err, 'update check');
      fail(paths, store, typed, settings.checkIntervalSecs, now());
      throw typed;
    }
  });
}

/** Start-up hook for the worker: clean up after a killed check and re-verify the staged bundle. */
export async function recoverUpdater(dataDir: string, now: Date = new Date()): Promise<UpdaterState> {
  const paths = updaterPaths(dataDir);
  ensureUpdaterDirs(paths);
  return withUpdaterLock(paths.lockFile, async () => recoverState(paths, new StateStore(paths.stateFile, now), now));
}

/** Operator pause/resume: a paused updater refuses checks (ERR_UPDATE_PAUSED) until resumed. */
export async function setUpdatesPaused(dataDir: string, paused: boolean, now: Date = new Date()): Promise<UpdaterState> {
  const paths = updaterPaths(dataDir);
  ensureUpdaterDirs(paths);
  return withUpdaterLock(paths.lockFile, async () => new StateStore(paths.stateFile, now).update({ paused }));
}
