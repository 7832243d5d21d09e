// The identification thread, seen from the proxy: typed requests in, typed answers out (a ~5 ms /proc scan for a new
// connection never stalls the requests on connections already open).
import { Worker } from 'node:worker_threads';
import { RaypherError, fromWire } from '@raypher/shared/errors';
import type { TreeFile } from './code-tree.js';
import type { EntryRule, Verdict } from './decide.js';
import type { Connection } from './index.js';
import type { Posture } from './posture.js';

export type ThreadRequest =
  | { op: 'identify'; connection: Connection; connectedNs: bigint }
  | { op: 'entries'; entries: EntryRule[]; manifests: Array<[number, readonly TreeFile[]]> }
  | { op: 'hash'; paths: string[] }
  | { op: 'manifest'; roots: string[] }
  | { op: 'posture' };

interface Answers {
  identify: Verdict;
  entries: null;
  hash: string[];
  manifest: TreeFile[];
  posture: Posture;
}

type Reply = { id: number; result?: unknown; error?: { code: string; message: string } };

export class IdentityThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  /** journalPath: where the exec ledger keeps its records across restarts (null: memory only). */
  constructor(private readonly journalPath: string | null) {}

  /** The last entries sent, re-sent to a fresh thread after a crash. */
  private lastEntries: Extract<ThreadRequest, { op: 'entries' }> | null = null;

  /** Started with the proxy, not on first use: the exec ledger records only execs that happen after it starts. */
  start(): void {
    this.ensure();
  }

  call<R extends ThreadRequest>(req: R): Promise<Answers[R['op']]> {
    if (req.op === 'entries') this.lastEntries = req as Extract<ThreadRequest, { op: 'entries' }>;
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, req });
    });
  }

  close(): Promise<number> | undefined {
    const w = this.worker;
    this.worker = null;
    return w?.terminate();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./thread-main.js', import.meta.url), { workerData: { journalPath: this.journalPath } });
    worker.unref();
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.error) p.reject(fromWire(r.error));
      else p.resolve(r.result);
    });
    const fail = (why: string) => {
      if (this.worker === worker) this.worker = null; // the next request starts a fresh thread
      for (const p of this.pending.values()) p.reject(new RaypherError('ERR_INTERNAL_UNEXPECTED', `identification thread ${why}`));
      this.pending.clear();
    };
    worker.on('error', (err) => fail(`failed: ${err.message}`));
    worker.on('exit', (code) => fail(`exited (${code})`));
    this.worker = worker;
    if (this.lastEntries) worker.postMessage({ id: 0, req: this.lastEntries });
    return worker;
  }
}
