// The supervisor's Prometheus registry plus the metrics each worker reports over IPC.
import { Counter, Gauge, Registry } from 'prom-client';
import { WORKER_STATES, type MetricsSnapshot, type WorkerStatus } from '@raypher/shared/ipc';

export interface MetricsSources {
  version: string;
  startedAt: number;
  /** Worker status with cpu/rss measured at scrape time. */
  workerStatus(): Promise<WorkerStatus[]>;
  workerSnapshots(): Promise<Array<MetricsSnapshot | null>>;
}

type Pick = (w: WorkerStatus) => number | null;

export class SupervisorMetrics {
  private readonly registry = new Registry();
  private readonly perWorker: Array<[Gauge<'worker'>, Pick]>;
  private readonly restarts: Counter<'worker'>;
  private readonly state: Gauge<'worker' | 'state'>;

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    // prom-client's default Node metrics fail promtool's lint (gauges named *_total); these two are what operators need.
    new Gauge({
      name: 'raypher_supervisor_resident_memory_bytes',
      help: 'Supervisor resident set size in bytes',
      registers,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    new Counter({
      name: 'raypher_supervisor_cpu_seconds_total',
      help: 'Supervisor user and system CPU time in seconds',
      registers,
      collect() {
        const { user, system } = process.cpuUsage();
        this.reset();
        this.inc((user + system) / 1e6);
      },
    });
    new Gauge({ name: 'raypher_build_info', help: 'Raypher build information', labelNames: ['version', 'node_version'], registers }).set(
      { version: sources.version, node_version: process.version },
      1,
    );
    new Gauge({
      name: 'raypher_supervisor_uptime_seconds',
      help: 'Seconds since the supervisor started',
      registers,
      collect() {
        this.set((Date.now() - sources.startedAt) / 1000);
      },
    });
    const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['worker'], registers });
    this.perWorker = [
      [gauge('raypher_worker_up', 'Whether the worker is running (1) or not (0)'), (w) => (w.state === 'running' ? 1 : 0)],
      [gauge('raypher_worker_heartbeat_age_seconds', 'Seconds since the last heartbeat of the worker'), (w) => w.heartbeatAgeSecs],
      [gauge('raypher_worker_cpu_percent', 'Worker CPU use in percent of one core since the previous sample'), (w) => w.cpuPercent],
      [gauge('raypher_worker_resident_memory_bytes', 'Worker resident set size in bytes'), (w) => w.rssBytes],
      [gauge('raypher_worker_uptime_seconds', 'Seconds since the worker became ready'), (w) => w.uptimeSecs],
    ];
    this.restarts = new Counter({ name: 'raypher_worker_restarts_total', help: 'Worker restarts since the supervisor started', labelNames: ['worker'], registers });
    this.state = new Gauge({ name: 'raypher_worker_state', help: 'Lifecycle state of the worker (1 for the current state)', labelNames: ['worker', 'state'], registers });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Prometheus text exposition: the supervisor's own series, then each running worker's. */
  async render(): Promise<string> {
    const [status, snapshots] = await Promise.all([this.sources.workerStatus(), this.sources.workerSnapshots()]);
    for (const [g, pick] of this.perWorker) {
      g.reset();
      for (const w of status) {
        const v = pick(w);
        if (v !== null) g.set({ worker: w.name }, v);
      }
    }
    this.restarts.reset();
    this.state.reset();
    for (const w of status) {
      this.restarts.inc({ worker: w.name }, w.restarts);
      for (const s of WORKER_STATES) this.state.set({ worker: w.name, state: s }, s === w.state ? 1 : 0);
    }
    const own = await this.registry.metrics();
    return own + snapshots.map((s) => s?.text ?? '').filter((t) => t.trim() !== '').join('');
  }
}
