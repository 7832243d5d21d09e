// Start-up clean-up: whatever a killed check left behind is removed, and a staged bundle that no longer verifies is dropped.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { discardWorkMetadata } from './trusted-metadata.js';
import { IN_FLIGHT, type UpdaterState } from './update-state.js';
import { STAGING_PREFIX, type UpdaterPaths } from './updater-paths.js';
import type { StateStore } from './state-store.js';
import { stagedProblem } from './verify-bundle.js';

export function ensureUpdaterDirs(paths: UpdaterPaths): void {
  for (const dir of [paths.root, paths.downloads, paths.bundles]) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Removes partial downloads, the work metadata and every staging directory; none of them is ever trusted. */
export function removeLeftovers(paths: UpdaterPaths): void {
  rmSync(paths.downloads, { recursive: true, force: true });
  mkdirSync(paths.downloads, { recursive: true, mode: 0o700 });
  discardWorkMetadata(paths);
  if (!existsSync(paths.bundles)) return;
  for (const name of readdirSync(paths.bundles)) {
    if (name.startsWith(STAGING_PREFIX)) rmSync(join(paths.bundles, name), { recursive: true, force: true });
  }
}

/** Call with the updater lock held. */
export function recoverState(paths: UpdaterPaths, store: StateStore, now: Date): UpdaterState {
  const s = store.current;
  removeLeftovers(paths);
  const interrupted = IN_FLIGHT.includes(s.phase);
  const orphan = s.attempt?.final_dir;
  if (interrupted && orphan && orphan !== s.staged?.dir) rmSync(orphan, { recursive: true, force: true });
  const problem = s.staged === null ? null : stagedProblem(s.staged.dir, s.staged.manifest_sha256);
  if (!interrupted && problem === null) return s;
  if (problem !== null && s.staged !== null) rmSync(s.staged.dir, { recursive: true, force: true });
  const staged = problem === null ? s.staged : null;
  const reasons = [interrupted ? `the previous ${s.phase} step was interrupted (process stopped) and was cleaned up` : null, problem === null ? null : `the staged bundle was dropped: ${problem}`].filter((r): r is string => r !== null);
  return store.update({
    phase: staged !== null ? 'staged' : problem !== null ? 'failed' : 'idle',
    since: now.toISOString(),
    reason: reasons.join('; '),
    attempt: null,
    staged,
  });
}
