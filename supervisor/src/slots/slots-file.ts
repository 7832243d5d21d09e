// slots.json: which bundle slot is active, previous, on trial, last-known-good, which releases are bad, and a swap in progress.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WORKER_NAMES, type WorkerName } from '@raypher/shared/ipc';

/** The id of the installed workers' slot (the directory beside the supervisor, or [supervisor] bundle_dir). */
export const INSTALLED_SLOT = 'installed';

export interface SlotInfo {
  readonly dir: string;
  readonly version: string;
  readonly release_counter: number;
  /** When the slot was first activated (ISO time). */
  readonly added_at: string;
  readonly committed_at: string | null;
}

export interface Trial {
  readonly slot: string;
  /** Supervisor starts left before the last-known-good is booted instead (spent before the workers start). */
  readonly tries_left: number;
  readonly started_at: string;
}

/** A swap in progress; a start that finds one boots `safeSlot()` (see swap-recovery.ts). */
export interface SwapRecord {
  readonly kind: 'apply' | 'rollback';
  readonly from: string;
  readonly to: string;
  /** Workers already running from `to`, in swap order. */
  readonly done: readonly WorkerName[];
  readonly reason: string;
  readonly started_at: string;
}

export interface BadRelease {
  readonly version: string;
  readonly release_counter: number;
  readonly reason: string;
  readonly at: string;
}

export interface SlotsState {
  readonly format: 1;
  readonly active: string;
  readonly previous: string | null;
  readonly trial: Trial | null;
  readonly last_known_good: string;
  readonly swap: SwapRecord | null;
  readonly slots: Readonly<Record<string, SlotInfo>>;
  /** Releases rolled back: the updater must never stage these again (it reads this field). */
  readonly bad: readonly BadRelease[];
  /** The activation floor: the release_counter of the last committed slot. */
  readonly committed_release_counter: number;
}

export function slotsFile(dataDir: string): string {
  return join(dataDir, 'bundles', 'slots.json');
}

export function initialSlots(installed: SlotInfo): SlotsState {
  return { format: 1, active: INSTALLED_SLOT, previous: null, trial: null, last_known_good: INSTALLED_SLOT, swap: null, slots: { [INSTALLED_SLOT]: installed }, bad: [], committed_release_counter: installed.release_counter };
}

/** Written to a temp file, fsynced, renamed, and the directory fsynced: a kill leaves the old or the new file, never half. */
export function writeSlots(file: string, state: SlotsState): void {
  writeJsonAtomic(file, state);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** The file as stored, or the reason it cannot be used (missing, not JSON, wrong shape). */
export function readSlots(file: string): { state: SlotsState } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${file} does not exist` : `${file} cannot be read: ${(err as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: `${file} is not JSON` };
  }
  const why = shapeProblem(json);
  return why === null ? { state: json as SlotsState } : { problem: `${file}: ${why}` };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSlotInfo = (v: unknown) => isObj(v) && typeof v.dir === 'string' && typeof v.version === 'string' && Number.isInteger(v.release_counter);

function shapeProblem(v: unknown): string | null {
  if (!isObj(v) || v.format !== 1) return 'not a format 1 slots file';
  if (!isObj(v.slots) || !Object.values(v.slots).every(isSlotInfo)) return 'slots table is damaged';
  const known = (id: unknown) => typeof id === 'string' && Object.hasOwn(v.slots as object, id);
  if (!known(v.active)) return 'active names no slot';
  if (!known(v.last_known_good)) return 'last_known_good names no slot';
  if (v.previous !== null && !known(v.previous)) return 'previous names no slot';
  if (v.trial !== null && !(isObj(v.trial) && known(v.trial.slot) && Number.isInteger(v.trial.tries_left))) return 'trial is damaged';
  if (v.swap !== null && !(isObj(v.swap) && known(v.swap.from) && known(v.swap.to) && Array.isArray(v.swap.done) && v.swap.done.every((w) => WORKER_NAMES.includes(w as WorkerName)))) return 'swap is damaged';
  if (!Array.isArray(v.bad) || !Number.isInteger(v.committed_release_counter)) return 'bad list or floor is damaged';
  return null;
}
