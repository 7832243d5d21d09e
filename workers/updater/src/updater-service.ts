// The running updater: one check at a time (scheduled or asked for), each outcome audited, measured and handed to the supervisor.
import { readActivationFacts } from './activation-facts.js';
import { addAlert, type AuditLedger, type Db, type EventName } from '@raypher/shared/db';
import { RaypherError, toRaypherError } from '@raypher/shared/errors';
import { PROTOCOL_VERSION, type Caller, type UpdateCheckResult, type UpdateStatus } from '@raypher/shared/ipc';
import type { Logger } from '@raypher/shared/logging';
import { BREAKER } from './backoff.js';
import { checkForUpdate, setUpdatesPaused } from './check.js';
import { CheckTimer, firstCheckInMs, nextCheckInMs } from './check-schedule.js';
import type { InstalledRelease } from './installed-bundle.js';
import { readState, type StagedBundle, type UpdaterState, type WaitingRelease } from './update-state.js';
import type { UpdaterMetrics } from './updater-metrics.js';
import { updaterPaths } from './updater-paths.js';
import type { ResolvedSettings } from './worker-settings.js';

export interface StagedNotice {
  readonly version: string;
  readonly release_counter: number;
  readonly dir: string;
  readonly auto_apply: boolean;
}

export interface ServiceDeps {
  readonly dataDir: string;
  readonly configFile: string;
  readonly installed: InstalledRelease;
  readonly audit: AuditLedger;
  /** raypher.db: alerts go into its `alerts` queue, as the scanner's do. */
  readonly db: Db;
  readonly logger: Logger;
  /** Tells the supervisor a verified bundle is staged (WorkerEvents.bundleStaged). */
  readonly onStaged: (notice: StagedNotice) => void;
}

type Trigger = 'schedule' | 'operator';
const by = (caller: Caller | undefined) => (caller ? { uid: caller.uid, pid: caller.pid } : null);
const stagedRelease = (s: StagedBundle | null) => (s === null ? null : { version: s.version, release_counter: s.release_counter, sha256: s.sha256, dir: s.dir, staged_at: s.staged_at });

export class UpdaterService {
  private available: { version: string; release_counter: number } | null = null;
  /** Checks run one after another: a scheduled one and one an operator asked for never race for the lock. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timer = new CheckTimer(() => void this.scheduledCheck());
  private metrics: UpdaterMetrics | null = null;
  private stopped = false;

  constructor(
    private readonly deps: ServiceDeps,
    private resolved: ResolvedSettings,
  ) {}

  attachMetrics(metrics: UpdaterMetrics): void {
    this.metrics = metrics;
  }

  /** Arms the first check (soon, unless the breaker's backoff still holds), or reports why there is none. */
  start(): void {
    this.reportSettings();
    if (this.resolved.kind === 'ready') this.timer.arm(firstCheckInMs(this.state(), this.resolved.settings.checkIntervalSecs, Date.now()));
  }

  /** A live config change: a newly usable config checks soon; a new interval re-arms from the last check. */
  configure(next: ResolvedSettings): void {
    const wasReady = this.resolved.kind === 'ready';
    const before = JSON.stringify(this.resolved);
    this.resolved = next;
    if (JSON.stringify(next) === before) return;
    this.reportSettings();
    if (next.kind !== 'ready') return this.timer.cancel();
    const st = this.state();
    this.timer.arm(wasReady ? nextCheckInMs(st, next.settings.checkIntervalSecs, Date.now()) : firstCheckInMs(st, next.settings.checkIntervalSecs, Date.now()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer.cancel();
    await this.queue.catch(() => undefined);
  }

  status(): UpdateStatus {
    const st = this.state();
    const r = this.resolved;
    return {
      enabled: r.kind !== 'disabled',
      state: r.kind === 'disabled' ? 'disabled' : r.kind === 'error' ? 'config_error' : st.phase,
      reason: r.kind === 'error' ? r.error.message : st.reason,
      config_error: r.kind === 'error' ? r.error.toWire() : null,
      paused: st.paused,
      auto_apply: r.autoApply,
      channel: r.channel,
      installed: { ...this.deps.installed },
      staged: stagedRelease(st.staged),
      available: this.available ?? (st.staged === null ? null : { version: st.staged.version, release_counter: st.staged.release_counter }),
      last_check: st.last_check,
      // While a check runs the timer is not armed yet: the state's own next time (interval or backoff) stands in.
      next_check_at: r.kind === 'ready' && !st.paused ? (this.timer.nextAt?.toISOString() ?? st.next_check_at) : null,
      consecutive_failures: st.consecutive_failures,
    };
  }

  /** Checks now; `handOver` false stages without asking the supervisor to activate (update download). */
  check(trigger: Trigger, caller: Caller | undefined, handOver: boolean): Promise<UpdateCheckResult> {
    const run = this.queue.then(() => this.runCheck(trigger, caller, handOver));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async setPaused(paused: boolean, caller: Caller | undefined): Promise<UpdateStatus> {
    const st = await setUpdatesPaused(this.deps.dataDir, paused);
    // Resumed: an overdue check runs soon, else at its time.
    if (!paused && this.resolved.kind === 'ready' && !this.stopped) this.timer.arm(nextCheckInMs(st, this.resolved.settings.checkIntervalSecs, Date.now()));
    await this.record(paused ? 'update.paused' : 'update.resumed', { by: by(caller) });
    this.deps.logger.info(paused ? 'updates paused' : 'updates resumed', { by: by(caller) });
    return this.status();
  }

  /** The newest signed release this supervisor cannot run (another IPC protocol), as the last good check saw it. */
  needsSupervisor(): WaitingRelease | null {
    return this.state().needs_supervisor;
  }

  private state(): UpdaterState {
    return readState(updaterPaths(this.deps.dataDir).stateFile, new Date());
  }

  private reportSettings(): void {
    const r = this.resolved;
    if (r.kind === 'error') this.deps.logger.error('updater config unusable; no checks until it is fixed', { code: r.error.code, error: r.error.message });
    else this.deps.logger.info(r.kind === 'disabled' ? 'updates disabled ([updater] enabled = false)' : 'update checks scheduled', r.kind === 'ready' ? { metadata_url: r.settings.metadataUrl, interval_secs: r.settings.checkIntervalSecs } : {});
  }

  private async scheduledCheck(): Promise<void> {
    if (this.stopped || this.resolved.kind !== 'ready') return;
    const paused = this.state().paused;
    if (!paused) await this.check('schedule', undefined, this.resolved.autoApply).catch(() => undefined);
    if (this.stopped || this.resolved.kind !== 'ready') return;
    // Paused: look again an interval later (resume re-arms at once).
    const interval = this.resolved.settings.checkIntervalSecs;
    this.timer.arm(paused ? interval * 1000 : nextCheckInMs(this.state(), interval, Date.now()));
  }

  private async runCheck(trigger: Trigger, caller: Caller | undefined, handOver: boolean): Promise<UpdateCheckResult> {
    const r = this.resolved;
    if (r.kind === 'disabled') throw new RaypherError('ERR_UPDATE_DISABLED', `updates are disabled ([updater] enabled = false in ${this.deps.configFile}); set enabled = true with metadata_url, targets_url and trusted_root to check`);
    if (r.kind === 'error') throw r.error;
    try {
      // The floor is the highest of the installed bundle and the release activation committed; rolled-back releases are skipped.
      const activation = readActivationFacts(this.deps.dataDir);
      const installedCounter = Math.max(this.deps.installed.release_counter, activation.committedCounter);
      const outcome = await checkForUpdate({ dataDir: this.deps.dataDir, settings: r.settings, protocols: [PROTOCOL_VERSION], installedCounter, badCounters: activation.badCounters });
      this.available = outcome.newest;
      this.metrics?.checks.inc({ result: outcome.result });
      await this.record('update.checked', { trigger, by: by(caller), result: outcome.result, available: outcome.newest, needs_supervisor: outcome.needsSupervisor });
      if (outcome.needsSupervisor !== null) this.deps.logger.info('a newer release needs a newer supervisor (update the Raypher package)', { needs_supervisor: outcome.needsSupervisor });
      const staged = outcome.result === 'staged' ? outcome.staged : null;
      if (staged !== null) {
        const notice = { version: staged.version, release_counter: staged.release_counter, dir: staged.dir, auto_apply: handOver };
        await this.record('update.staged', { ...notice, sha256: staged.sha256, target: staged.target });
        this.deps.logger.info('update staged', notice);
        this.deps.onStaged(notice);
      }
      return { result: outcome.result, available: outcome.newest, staged: stagedRelease(outcome.staged), handed_over: staged !== null && handOver };
    } catch (err) {
      throw await this.failed(toRaypherError(err, 'update check'), trigger, caller);
    }
  }

  private async failed(err: RaypherError, trigger: Trigger, caller: Caller | undefined): Promise<RaypherError> {
    // Paused or busy: nothing was attempted, nothing to record.
    if (err.code === 'ERR_UPDATE_PAUSED' || err.code === 'ERR_UPDATE_BUSY') return err;
    const rejected = err.code === 'ERR_UPDATE_VERIFY' || err.code === 'ERR_UPDATE_ARCHIVE';
    const st = this.state();
    this.metrics?.checks.inc({ result: rejected ? 'rejected' : 'failed' });
    const data = { trigger, by: by(caller), code: err.code, error: err.message, consecutive_failures: st.consecutive_failures, alert: st.last_check?.alert ?? rejected };
    if (data.alert) this.deps.logger.error(rejected ? 'ALERT: an update was refused by verification' : 'ALERT: update checks keep failing; backing off', data);
    else this.deps.logger.warn('update check failed', data);
    await this.record(rejected ? 'update.rejected' : 'update.failed', data);
    // Into the alert queue: every refusal, and the breaker once as it trips (not again while it stays open).
    if (rejected) await this.raiseAlert('update.rejected', `update refused by verification (${err.code}): ${err.message}`);
    else if (data.alert && st.consecutive_failures === BREAKER.threshold) {
      await this.raiseAlert('update.breaker', `update checks failed ${st.consecutive_failures} times in a row; backing off until ${st.next_check_at ?? '-'}; last error ${err.code}: ${err.message}`);
    }
    return err;
  }

  private async raiseAlert(type: string, message: string): Promise<void> {
    try {
      await addAlert(this.deps.db, { type, source: 'updater', message });
    } catch (err) {
      this.deps.logger.error('alert insert failed', { type, error: toRaypherError(err, 'alert insert').message });
    }
  }

  /** An audit row the ledger could not take is logged, never allowed to hide the check's own outcome. */
  private async record(type: EventName, data: Record<string, unknown>): Promise<void> {
    try {
      await this.deps.audit.append(type, data);
    } catch (err) {
      this.deps.logger.error('audit append failed', { type, error: toRaypherError(err, 'audit append').message });
    }
  }
}
