// Owns the four worker processes: starts them in order, stops them in reverse, reports their status.
import pidusage from 'pidusage';
import { RaypherError } from '@raypher/shared/errors';
import { WORKER_NAMES, type MetricsSnapshot, type WorkerName, type WorkerStatus } from '@raypher/shared/ipc';
import type { Config } from '@raypher/shared/config';
import { SUPERVISOR_TIMING } from './timing.js';
import { WorkerProcess, type WorkerDeps } from './worker-process.js';

/** The same for every worker: each takes what its grant (WORKER_GRANTS) names. */
export type SharedWorkerDeps = Omit<WorkerDeps<WorkerName>, 'name' | 'entry' | 'onStateChange'> & {
  entry(name: WorkerName): string;
  onStateChange(worker: WorkerProcess, manager: WorkerManager): void;
};

export class WorkerManager {
  readonly workers: readonly WorkerProcess[];
  private ticker: NodeJS.Timeout | undefined;
  private allRunningWaiters: Array<() => void> = [];

  constructor(deps: SharedWorkerDeps, names: readonly WorkerName[] = WORKER_NAMES) {
    this.workers = names.map(
      (name) =>
        new WorkerProcess({
          ...deps,
          name,
          entry: () => deps.entry(name),
          onStateChange: (w) => {
            deps.onStateChange(w, this);
            if (this.allRunning()) for (const fn of this.allRunningWaiters.splice(0)) fn();
          },
        }),
    );
  }

  get(name: string): WorkerProcess {
    const worker = this.workers.find((w) => w.name === name);
    if (!worker) throw new RaypherError('ERR_WORKER_UNKNOWN', `no worker named '${name}'; workers are ${this.workers.map((w) => w.name).join(', ')}`);
    return worker;
  }

  startAll(): void {
    for (const w of this.workers) w.start();
    this.ticker = setInterval(() => {
      const now = Date.now();
      for (const w of this.workers) w.checkLiveness(now);
    }, SUPERVISOR_TIMING.livenessCheckMs);
  }

  allRunning(): boolean {
    return this.workers.every((w) => w.state === 'running');
  }

  whenAllRunning(): Promise<void> {
    return new Promise((resolve) => (this.allRunning() ? resolve() : this.allRunningWaiters.push(resolve)));
  }

  /** Stops workers one by one in reverse start order. */
  async stopAll(reason: string): Promise<void> {
    clearInterval(this.ticker);
    for (const w of [...this.workers].reverse()) await w.stop(reason);
  }

  /** One line for the service manager's STATUS=, e.g. "3/4 workers running; proxy failed". */
  summary(): string {
    const running = this.workers.filter((w) => w.state === 'running').length;
    const problems = this.workers.filter((w) => w.state === 'failed').map((w) => `${w.name} failed`);
    return `${running}/${this.workers.length} workers running${problems.length ? `; ${problems.join(', ')}` : ''}`;
  }

  /** Each worker's metrics and health sections; null for a worker that is not running or did not answer. */
  metrics(): Promise<Array<MetricsSnapshot | null>> {
    return Promise.all(this.workers.map((w) => w.metrics()));
  }

  pushConfig(config: Config): void {
    for (const w of this.workers) w.pushConfig(config);
  }

  /** Status of every worker, with cpu and rss measured now. */
  async status(): Promise<WorkerStatus[]> {
    const now = Date.now();
    return Promise.all(
      this.workers.map(async (w) => {
        const s = w.status(now);
        if (s.pid === null) return s;
        const usage = await pidusage(s.pid).catch(() => null);
        return usage ? { ...s, cpuPercent: Math.round(usage.cpu * 10) / 10, rssBytes: usage.memory } : s;
      }),
    );
  }
}
