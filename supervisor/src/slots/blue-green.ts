// Blue/green activation: which slot each worker runs from, the swap one worker at a time, the trial, commit and rollback.
import { rmSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Config } from '@raypher/shared/config';
import type { EventName } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';
import { SupervisorToWorker, WORKER_GRANTS, WORKER_NAMES, type BundleStaged, type SlotsResult, type StatusResult, type WorkerName } from '@raypher/shared/ipc';
import type { Logger } from '@raypher/shared/logging';
import { unhealthyReason } from '../health-report.js';
import type { WorkerManager } from '../worker-manager.js';
import type { WorkerProcess } from '../worker-process.js';
import { lkgFile } from './boot-plan.js';
import { INSTALLED_SLOT, writeJsonAtomic, writeSlots, type SlotsState, type SwapRecord } from './slots-file.js';
import { bundleProblem, listStaged } from './staged-bundles.js';

/** Swap order: the vault first (the proxy rides through it on its key cache), then the proxy, then the rest. */
export const SWAP_ORDER: readonly WorkerName[] = ['vault', 'proxy', 'scanner', 'updater'];
/** How long a drained blue proxy may keep in-flight requests and open streams, in ms. */
export const PROXY_DRAIN_MS = 30_000;
const POLL_MS = 100;
/** During a trial, how often each worker of the new slot is asked for its health report, in ms. */
export const TRIAL_PROBE_MS = 2_000;
/** Health asks in a row (each waits 1 s) a heartbeating worker may leave unanswered before it counts as failing its self-test: 10 s, twice the default hang timeout, so a loaded machine is not taken for a stuck one. */
export const TRIAL_SILENT_PROBES = 5;

export interface BlueGreenDeps {
  readonly slotsPath: string;
  readonly bundlesDir: string;
  readonly config: () => Config;
  readonly logger: Logger;
  audit(type: EventName, data: Record<string, unknown>): void;
  alert(type: string, message: string): void;
}

export interface SwapOutcome {
  from: string;
  to: string;
  version: string;
  ms: number;
}

export class BlueGreen {
  private readonly placement: Record<WorkerName, string>;
  private workers: WorkerManager | undefined;
  private swapping = false;
  private trialTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  /** Per worker process on trial: health asks in a row it did not answer. */
  private readonly silent = new WeakMap<WorkerProcess, number>();

  constructor(
    private state: SlotsState,
    private readonly deps: BlueGreenDeps,
  ) {
    this.placement = Object.fromEntries(WORKER_NAMES.map((w) => [w, state.active])) as Record<WorkerName, string>;
  }

  /** The entry a worker starts from now: its slot's dist/main.js. */
  entryFor(name: WorkerName): string {
    return join(this.dirOf(this.placement[name]), name, 'dist', 'main.js');
  }

  /** Called once the workers exist; a start during a trial runs the rest of the trial. */
  attach(workers: WorkerManager): void {
    this.workers = workers;
    if (this.state.trial) this.armTrial();
  }

  stop(): void {
    this.disarmTrial();
  }

  persist(next: SlotsState): void {
    this.state = next;
    writeSlots(this.deps.slotsPath, next);
    const lkg = next.last_known_good;
    writeJsonAtomic(lkgFile(this.deps.slotsPath), { id: lkg, info: next.slots[lkg], bad: next.bad, floor: next.committed_release_counter });
  }

  get current(): SlotsState {
    return this.state;
  }

  activeBundle(): NonNullable<StatusResult['bundle']> {
    const info = this.state.slots[this.state.active];
    const state = this.swapping ? 'swapping' : this.state.trial ? 'trial' : 'committed';
    return { slot: this.state.active, version: info?.version ?? 'unknown', release_counter: info?.release_counter ?? 0, state };
  }

  table(): SlotsResult {
    const s = this.state;
    const rows = Object.entries(s.slots).map(([id, info]) => {
      const labels = [
        id === s.active && 'active',
        id === s.previous && 'previous',
        s.trial?.slot === id && 'trial',
        id === s.last_known_good && 'last-known-good',
        s.bad.some((b) => b.version === info.version && b.release_counter === info.release_counter) && 'bad',
      ].filter((x): x is string => typeof x === 'string');
      return { slot: id, version: info.version, release_counter: info.release_counter, state: labels.join(',') || 'kept', tries_left: s.trial?.slot === id ? s.trial.tries_left : null, when: info.committed_at ?? info.added_at, dir: info.dir };
    });
    return { slots: rows, bad: [...s.bad], swap: s.swap ? { kind: s.swap.kind, from: s.swap.from, to: s.swap.to, done: [...s.swap.done] } : null };
  }

  /** The updater staged a bundle: apply it on its own when [updater] auto_apply says so. */
  onBundleStaged(staged: BundleStaged): void {
    if (!staged.auto_apply) return;
    this.apply(staged.version, 'updater (auto_apply)').catch((err: unknown) => this.deps.logger.error('automatic apply failed', { version: staged.version, error: (err as Error).message }));
  }

  /** Every worker onto a staged bundle (the newest not bad, or `version`), then the trial; `by` names who asked. */
  async apply(version: string | undefined, by: string): Promise<SwapOutcome> {
    this.refuseIfBusy();
    const isBad = (v: string, c: number) => this.state.bad.some((b) => b.version === v && b.release_counter === c);
    const candidates = listStaged(this.deps.bundlesDir).filter((b) => (version === undefined ? !isBad(b.version, b.release_counter) : b.version === version) && b.id !== this.state.active);
    const target = candidates[0];
    if (!target) throw new RaypherError('ERR_UPDATE_NOTHING_STAGED', version === undefined ? `no staged bundle under ${this.deps.bundlesDir} other than the active one; run raypherctl update download first` : `no bundle for version ${version} is staged under ${this.deps.bundlesDir}; run raypherctl update download first`);
    if (isBad(target.version, target.release_counter)) throw new RaypherError('ERR_UPDATE_SWAP', `release ${target.version} (counter ${target.release_counter}) was rolled back before and is marked bad in ${this.deps.slotsPath}; publish a newer release`);
    const problem = bundleProblem(target.dir);
    if (problem) throw new RaypherError('ERR_UPDATE_SWAP', `the staged bundle ${target.version} does not verify (${problem}); nothing was swapped; run raypherctl update download again`);
    const at = new Date().toISOString();
    this.persist({ ...this.state, slots: { ...this.state.slots, [target.id]: { dir: target.dir, version: target.version, release_counter: target.release_counter, added_at: at, committed_at: null } } });
    const started = Date.now();
    const from = this.state.active;
    const failure = await this.swap({ kind: 'apply', from, to: target.id, done: [], reason: `apply ${target.version}`, started_at: at }, by);
    if (failure !== null) {
      await this.rollback(failure, 'automatic');
      throw new RaypherError('ERR_UPDATE_SWAP', `the swap to ${target.version} failed (${failure}); every worker is back on ${this.state.slots[this.state.active]?.version ?? this.state.active}, and ${target.version} is marked bad`);
    }
    const tries = this.deps.config().updater.boot_tries;
    this.persist({ ...this.state, active: target.id, previous: from, swap: null, trial: { slot: target.id, tries_left: tries, started_at: new Date().toISOString() } });
    this.deps.audit('update.activated', { from, to: target.id, version: target.version, release_counter: target.release_counter, ms: Date.now() - started, trial_secs: this.deps.config().updater.trial_secs });
    this.armTrial();
    return { from, to: target.id, version: target.version, ms: Date.now() - started };
  }

  /** Every worker back onto the previous slot (or the last-known-good); the release left behind is marked bad. */
  async rollback(reason: string, by: 'automatic' | 'operator'): Promise<SwapOutcome> {
    if (by === 'operator') this.refuseIfBusy();
    const s = this.state;
    // An apply that failed half-way: its workers go back to where the swap started.
    const leaving = s.swap?.kind === 'apply' ? s.swap.to : s.active;
    const back = s.swap?.kind === 'apply' ? s.swap.from : (s.previous ?? (s.last_known_good !== s.active ? s.last_known_good : null));
    if (back === null) throw new RaypherError('ERR_UPDATE_NO_PREVIOUS', `the active slot ${s.active} has no previous slot and is the last-known-good; nothing to roll back to`);
    this.disarmTrial();
    const started = Date.now();
    const info = s.slots[leaving];
    if (by === 'automatic') {
      this.deps.audit('update.trial_failed', { slot: leaving, version: info?.version, reason });
      this.deps.alert('update.trial_failed', `release ${info?.version ?? leaving} failed (${reason}); rolling every worker back to ${s.slots[back]?.version ?? back}`);
    }
    const bad = leaving === INSTALLED_SLOT || !info ? s.bad : [...s.bad.filter((b) => !(b.version === info.version && b.release_counter === info.release_counter)), { version: info.version, release_counter: info.release_counter, reason, at: new Date().toISOString() }];
    this.persist({ ...s, bad });
    const failure = await this.swap({ kind: 'rollback', from: leaving, to: back, done: [], reason, started_at: new Date().toISOString() }, by);
    if (failure !== null) this.deps.logger.error('a worker did not come up on the previous slot; its restart policy keeps trying', { reason: failure });
    this.persist({ ...this.state, active: back, previous: null, trial: null, swap: null });
    this.deps.audit('update.rolled_back', { from: leaving, to: back, version: info?.version, reason, by, ms: Date.now() - started });
    return { from: leaving, to: back, version: this.state.slots[back]?.version ?? back, ms: Date.now() - started };
  }

  /** Moves each worker onto `to` in order, persisting each step; returns why it stopped, or null. */
  private async swap(rec: SwapRecord, by: string): Promise<string | null> {
    this.swapping = true;
    try {
      this.persist({ ...this.state, swap: rec });
      this.deps.audit('update.swap_started', { kind: rec.kind, from: rec.from, to: rec.to, reason: rec.reason, requested_by: by });
      const done: WorkerName[] = [];
      for (const name of SWAP_ORDER) {
        const failure = await this.move(name, rec.to);
        if (failure !== null && rec.kind === 'apply') return `${name} ${failure}`;
        done.push(name);
        this.persist({ ...this.state, swap: { ...rec, done: [...done] } });
      }
      return null;
    } finally {
      this.swapping = false;
    }
  }

  private async move(name: WorkerName, slot: string): Promise<string | null> {
    const workers = this.manager();
    if (this.placement[name] === slot && workers.get(name).state !== 'stopped') return null;
    const timeout = this.deps.config().supervisor.start_timeout_ms + 5_000;
    if (WORKER_GRANTS[name].listeners) {
      // Green beside blue on the same listening sockets: the kernel hands new connections to either until blue drains.
      const green = workers.startGreen(name, join(this.dirOf(slot), name, 'dist', 'main.js'));
      const why = await waitRunning(green, timeout);
      if (why !== null) {
        await workers.discardGreen(green, `green ${name} failed`);
        return why;
      }
      this.placement[name] = slot;
      const blue = workers.adopt(green);
      const draining = Date.now();
      await blue.call(SupervisorToWorker.drain, { maxMs: PROXY_DRAIN_MS }, PROXY_DRAIN_MS + 5_000).then(
        ({ closedEarly }) => this.deps.logger.info(`blue ${name} drained`, { ms: Date.now() - draining, closed_early: closedEarly }),
        (err: unknown) => this.deps.logger.warn(`blue ${name} did not drain cleanly`, { error: (err as Error).message }),
      );
      await blue.stop('blue/green swap: drained');
      return null;
    }
    // Stop-then-start: nothing reaches a worker without listeners from outside while it restarts (see docs/bluegreen.md).
    const w = workers.get(name);
    await w.stop('blue/green swap');
    this.placement[name] = slot;
    w.start();
    return waitRunning(w, timeout);
  }

  /** A worker from the slot on trial exited, hung, failed to start or reported unhealthy: roll everything back. */
  onTrouble(worker: WorkerProcess, why: string): void {
    const trial = this.state.trial;
    if (this.swapping || trial === null || this.placement[worker.name] !== trial.slot) return;
    this.rollback(`${worker.name} ${why} during the trial`, 'automatic').catch((err: unknown) => this.deps.logger.error('automatic rollback failed', { error: (err as Error).message }));
  }

  private armTrial(): void {
    this.disarmTrial();
    this.trialTimer = setTimeout(() => this.commit(), this.deps.config().updater.trial_secs * 1000);
    this.trialTimer.unref();
    this.probeTimer = setInterval(() => void this.probeTrial(), TRIAL_PROBE_MS);
    this.probeTimer.unref();
  }

  private disarmTrial(): void {
    clearTimeout(this.trialTimer);
    clearInterval(this.probeTimer);
  }

  /** Asks each running worker of the slot on trial for its health report: an unhealthy one, or one silent too long, rolls back. */
  private async probeTrial(): Promise<void> {
    const trial = this.state.trial;
    if (this.probing || this.swapping || trial === null || !this.workers) return;
    this.probing = true;
    try {
      const onTrial = this.workers.workers.filter((w) => this.placement[w.name] === trial.slot && w.state === 'running');
      const reports = await Promise.all(onTrial.map(async (w) => [w, await w.metrics()] as const));
      for (const [w, report] of reports) {
        if (w.state !== 'running') continue;
        const silent = report === null ? (this.silent.get(w) ?? 0) + 1 : 0;
        this.silent.set(w, silent);
        const reason = report === null ? null : unhealthyReason(report.health);
        if (reason !== null) return this.onTrouble(w, `reported unhealthy (${reason})`);
        if (silent >= TRIAL_SILENT_PROBES) return this.onTrouble(w, `left ${silent} health reports in a row unanswered while heartbeating`);
      }
    } finally {
      this.probing = false;
    }
  }

  private commit(): void {
    const s = this.state;
    clearInterval(this.probeTimer);
    if (this.swapping || s.trial === null || s.trial.slot !== s.active) return;
    const info = s.slots[s.active];
    if (!info) return;
    const at = new Date().toISOString();
    const slots = { ...s.slots, [s.active]: { ...info, committed_at: at } };
    const keep = this.deps.config().updater.keep_slots;
    const others = Object.entries(slots)
      .filter(([id]) => id !== s.active && id !== INSTALLED_SLOT)
      .sort(([, a], [, b]) => (b.committed_at ?? b.added_at).localeCompare(a.committed_at ?? a.added_at));
    const dropped = others.slice(keep).map(([id]) => id);
    for (const id of dropped) delete slots[id];
    this.persist({ ...s, slots, trial: null, last_known_good: s.active, previous: s.previous !== null && dropped.includes(s.previous) ? null : s.previous, committed_release_counter: Math.max(s.committed_release_counter, info.release_counter) });
    for (const id of dropped) this.removeSlotDir(s.slots[id]?.dir);
    this.deps.audit('update.committed', { slot: s.active, version: info.version, release_counter: info.release_counter, deleted: dropped });
  }

  private removeSlotDir(dir: string | undefined): void {
    if (dir === undefined) return;
    const root = resolve(this.deps.bundlesDir) + sep;
    if (resolve(dir).startsWith(root)) rmSync(dir, { recursive: true, force: true });
  }

  private dirOf(slot: string): string {
    const info = this.state.slots[slot];
    if (!info) throw new RaypherError('ERR_UPDATE_SLOTS', `slot ${slot} is not in ${this.deps.slotsPath}`);
    return info.dir;
  }

  private manager(): WorkerManager {
    if (!this.workers) throw new RaypherError('ERR_UPDATE_SWAP', 'the workers are not started yet; try again once raypherctl status shows them running');
    return this.workers;
  }

  private refuseIfBusy(): void {
    if (this.swapping) throw new RaypherError('ERR_UPDATE_SWAP', 'a blue/green swap is already running; wait for it (raypherctl update slots shows it)');
  }
}

/** Null once the worker runs; the reason when it exits, fails or does not get there in time. */
async function waitRunning(w: WorkerProcess, timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  // A worker that exits at once goes straight to backoff; a start still counts from the new spawn.
  while (Date.now() < deadline) {
    if (w.state === 'running') return null;
    if (w.state === 'backoff' || w.state === 'failed' || w.state === 'stopped') return `did not start (${w.state}${w.lastExit ? `, exit code ${w.lastExit.code}` : ''})`;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return `did not report ready within ${timeoutMs} ms`;
}
