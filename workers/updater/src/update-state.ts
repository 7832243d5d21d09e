// The updater's persisted state machine: idle → checking → downloading → verifying → staged, or failed with the reason.
import { existsSync, readFileSync } from 'node:fs';
import { isErrorCode, type ErrorCode } from '@raypher/shared/errors';
import { writeFileAtomic } from './atomic-file.js';

export const PHASES = ['idle', 'checking', 'downloading', 'verifying', 'staged', 'failed'] as const;
export type Phase = (typeof PHASES)[number];

/** Phases a process can die in; the next start cleans up after them. */
export const IN_FLIGHT: readonly Phase[] = ['checking', 'downloading', 'verifying'];

export interface StagedBundle {
  readonly target: string;
  readonly version: string;
  readonly release_counter: number;
  readonly protocol: number;
  /** sha256 of the downloaded .tgz (the signed hash). */
  readonly sha256: string;
  /** sha256 of the extracted bundle.json: the staged tree is checked against it again at every start. */
  readonly manifest_sha256: string;
  readonly dir: string;
  readonly staged_at: string;
}

export interface Attempt {
  readonly target: string;
  readonly sha256: string;
  /** Set before the staging directory is created, so a killed extraction is always found and removed. */
  readonly staging_dir: string | null;
  /** Where the staging dir is renamed to; recorded before the rename, so a kill between rename and `staged` is cleaned up too. */
  readonly final_dir: string | null;
}

export interface LastCheck {
  readonly at: string;
  readonly result: 'staged' | 'up_to_date' | 'failed';
  readonly detail: string;
  readonly error_code: ErrorCode | null;
  /** A verification failure, or the breaker tripping: the worker raises an alert and audits update.rejected. */
  readonly alert: boolean;
}

/** A signed release newer than what this supervisor can run: it speaks another IPC protocol and waits for the OS package. */
export interface WaitingRelease {
  readonly version: string;
  readonly release_counter: number;
  readonly protocol: number;
}

export interface UpdaterState {
  readonly phase: Phase;
  readonly since: string;
  readonly reason: string | null;
  readonly attempt: Attempt | null;
  readonly staged: StagedBundle | null;
  /** Raypher's release_counter floor raised when a bundle is staged (the activation floor is the installed bundle's). */
  readonly floor: { readonly release_counter: number; readonly sha256: string | null };
  readonly last_check: LastCheck | null;
  /** Set by the last successful check; a failed check leaves it as it was. */
  readonly needs_supervisor: WaitingRelease | null;
  readonly consecutive_failures: number;
  readonly next_check_at: string | null;
  readonly paused: boolean;
}

export function initialState(now: Date): UpdaterState {
  return { phase: 'idle', since: now.toISOString(), reason: null, attempt: null, staged: null, floor: { release_counter: 0, sha256: null }, last_check: null, needs_supervisor: null, consecutive_failures: 0, next_check_at: null, paused: false };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A state file that does not parse is treated as lost: start from idle (the trusted TUF metadata keeps its own floors). */
function valid(v: unknown): v is UpdaterState {
  if (!isObject(v) || !isObject(v.floor)) return false;
  if (!PHASES.includes(v.phase as Phase) || typeof v.since !== 'string' || typeof v.paused !== 'boolean') return false;
  if (typeof v.floor.release_counter !== 'number' || typeof v.consecutive_failures !== 'number') return false;
  if (v.staged !== null && !(isObject(v.staged) && typeof v.staged.dir === 'string' && typeof v.staged.manifest_sha256 === 'string')) return false;
  if (v.attempt !== null && !(isObject(v.attempt) && typeof v.attempt.target === 'string')) return false;
  if (v.needs_supervisor !== undefined && v.needs_supervisor !== null && !(isObject(v.needs_supervisor) && typeof v.needs_supervisor.release_counter === 'number')) return false;
  return v.last_check === null || (isObject(v.last_check) && (v.last_check.error_code === null || isErrorCode(v.last_check.error_code)));
}

export function readState(stateFile: string, now: Date): UpdaterState {
  if (!existsSync(stateFile)) return initialState(now);
  try {
    const parsed: unknown = JSON.parse(readFileSync(stateFile, 'utf8'));
    // needs_supervisor came after the first state files: one without it has nothing waiting.
    return valid(parsed) ? { ...parsed, needs_supervisor: parsed.needs_supervisor ?? null } : { ...initialState(now), reason: `${stateFile} was malformed and was reset` };
  } catch {
    return { ...initialState(now), reason: `${stateFile} was not JSON and was reset` };
  }
}

export function writeState(stateFile: string, state: UpdaterState): void {
  writeFileAtomic(stateFile, `${JSON.stringify(state, null, 1)}\n`, 0o600);
}
