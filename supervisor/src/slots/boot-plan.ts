// What a supervisor start runs: slots.json read or recovered, an interrupted swap settled, a trial's boot try spent.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKER_NAMES } from '@raypher/shared/ipc';
import { INSTALLED_SLOT, initialSlots, readSlots, type SlotInfo, type SlotsState } from './slots-file.js';

/** Something the start did that the log and the audit must say. */
export interface BootNote {
  readonly event: 'update.slots_recovered' | 'update.rolled_back';
  readonly data: Record<string, unknown>;
}

export interface BootPlan {
  readonly state: SlotsState;
  readonly notes: readonly BootNote[];
  /** True when the state differs from the file and must be written before any worker starts. */
  readonly changed: boolean;
}

/** A copy of the last-known-good slot beside slots.json, so a damaged slots.json still falls back to it. */
export function lkgFile(slotsPath: string): string {
  return slotsPath.replace(/slots\.json$/, 'last-known-good.json');
}

export function slotComplete(dir: string): boolean {
  return WORKER_NAMES.every((w) => existsSync(join(dir, w, 'dist', 'main.js')));
}

function readLkg(path: string): { id: string; info: SlotInfo; bad: SlotsState['bad']; floor: number } | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as { id: string; info: SlotInfo; bad: SlotsState['bad']; floor: number };
    return typeof v.id === 'string' && typeof v.info?.dir === 'string' && Array.isArray(v.bad) ? v : null;
  } catch {
    return null;
  }
}

const markBad = (s: SlotsState, slot: string, reason: string, at: string): SlotsState['bad'] => {
  const info = s.slots[slot];
  if (!info || slot === INSTALLED_SLOT || s.bad.some((b) => b.release_counter === info.release_counter && b.version === info.version)) return s.bad;
  return [...s.bad, { version: info.version, release_counter: info.release_counter, reason, at }];
};

export function planBoot(slotsPath: string, installed: SlotInfo, now: Date): BootPlan {
  const at = now.toISOString();
  const read = readSlots(slotsPath);
  const notes: BootNote[] = [];
  let state: SlotsState;
  let changed = false;
  if ('problem' in read) {
    const lkg = readLkg(lkgFile(slotsPath));
    const base = initialSlots(installed);
    if (lkg && lkg.id !== INSTALLED_SLOT && slotComplete(lkg.info.dir)) {
      state = { ...base, active: lkg.id, last_known_good: lkg.id, slots: { ...base.slots, [lkg.id]: lkg.info }, bad: lkg.bad, committed_release_counter: lkg.floor };
    } else {
      state = lkg ? { ...base, bad: lkg.bad, committed_release_counter: Math.max(base.committed_release_counter, lkg.floor) } : base;
    }
    // A first start has no slots.json and nothing to recover from: that is not a recovery worth an alert.
    const firstStart = !existsSync(slotsPath) && lkg === null;
    if (!firstStart) notes.push({ event: 'update.slots_recovered', data: { problem: read.problem, booted: state.active, version: state.slots[state.active]?.version } });
    changed = true;
  } else {
    state = { ...read.state, slots: { ...read.state.slots, [INSTALLED_SLOT]: installed } };
  }
  // A slot whose directory is gone (deleted by hand) cannot run: boot last-known-good, then installed.
  if (!slotComplete(state.slots[state.active]?.dir ?? '')) {
    const fallback = slotComplete(state.slots[state.last_known_good]?.dir ?? '') ? state.last_known_good : INSTALLED_SLOT;
    notes.push({ event: 'update.slots_recovered', data: { problem: `slot ${state.active} is incomplete on disk`, booted: fallback } });
    state = { ...state, active: fallback, trial: null, swap: null, previous: null };
    changed = true;
  }
  if (state.swap !== null) {
    const sw = state.swap;
    // An interrupted apply returns to where it started; an interrupted rollback finishes (it only goes back).
    if (sw.kind === 'apply') {
      state = { ...state, active: sw.from, swap: null };
      notes.push({ event: 'update.rolled_back', data: { from: sw.to, to: sw.from, reason: 'the supervisor stopped in the middle of a swap; back on the previous slot', done: sw.done } });
    } else {
      state = { ...state, active: sw.to, previous: null, trial: null, swap: null, bad: markBad(state, sw.from, sw.reason, at) };
      notes.push({ event: 'update.rolled_back', data: { from: sw.from, to: sw.to, reason: `rollback finished at start: ${sw.reason}` } });
    }
    changed = true;
  }
  if (state.trial !== null) {
    const tries = state.trial.tries_left - 1;
    if (tries <= 0) {
      const reason = 'boot tries exhausted during the trial: the supervisor kept restarting';
      const from = state.trial.slot;
      state = { ...state, active: state.last_known_good, previous: null, trial: null, bad: markBad(state, from, reason, at) };
      notes.push({ event: 'update.rolled_back', data: { from, to: state.active, reason } });
    } else {
      state = { ...state, trial: { ...state.trial, tries_left: tries } };
    }
    changed = true;
  }
  return { state, notes, changed };
}
