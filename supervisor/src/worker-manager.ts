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
  private current: WorkerProcess[];
  /** Green processes started by a blue/green swap, not yet taking over their blue's place. */
  private readonly greens = new Set<WorkerProcess>();
  private ticker: NodeJS.Timeout | undefined;
  private allRunningWaiters: Array<() => void> = [];

  constructor(private readonly deps: SharedWorkerDeps, names: readonly WorkerName[] = WORKER_NAMES) {
    this.current = names.map((name) => this.make(name, () => deps.entry(name)));
  }

  get workers(): readonly WorkerProcess[] {
    return this.current;
  }

  private make(name: WorkerName, entry: () => string): WorkerProcess {
    return new WorkerProcess({
      ...this.deps,
      name,
      entry,
      onStateChange: (w) => {
        if (this.greens.has(w)) return;
        this.deps.onStateChange(w, this);
        if (this.allRunning()) for (const fn of this.allRunningWaiters.splice(0)) fn();
      },
    });
  }

  /** Blue/green: a second process of a worker from another bundle, started beside the running one. */
  startGreen(name: WorkerName, entry: string): WorkerProcess {
    const green = this.make(name, () => entry);
    this.greens.add(green);
    green.start();
    return green;
  }

  /** The green takes its blue's place (the caller stops the blue); returns the blue. */
  adopt(green: WorkerProcess): WorkerProcess {
    this.greens.delete(green);
    const i = this.current.findIndex((w) => w.name === green.name);
    const blue = this.current[i];
    if (blue === undefined) throw new RaypherError('ERR_WORKER_UNKNOWN', `no worker named '${green.name}'`);
    this.current = this.current.map((w, j) => (j === i ? green : w));
    this.deps.onStateChange(green, this);
    return blue;
  }

  /** A green that failed: stopped and forgotten; its blue keeps serving. */
  async discardGreen(green: WorkerProcess, reason: string): Promise<void> {
    await green.stop(reason);
    this.greens.delete(green);
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
      for (const w of [...this.current, ...this.greens]) w.checkLiveness(now);
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
