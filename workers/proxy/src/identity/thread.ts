// Runs caller identification in a worker thread (the design's "in a worker thread"): a ~10 ms /proc scan
// for a new connection no longer stalls requests on the connections already open.
import { Worker } from 'node:worker_threads';
import { RaypherError, fromWire } from '@raypher/shared/errors';
import type { Caller, Connection } from './index.js';

type Reply = { id: number; callers?: Caller[]; error?: { code: string; message: string } };

export class IdentifierThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(c: Caller[]): void; reject(e: Error): void }>();

  identify(connection: Connection): Promise<Caller[]> {
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, connection });
    });
  }

  close(): Promise<number> | undefined {
    const w = this.worker;
    this.worker = null;
    return w?.terminate();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./thread-main.js', import.meta.url));
    worker.unref();
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.error) p.reject(fromWire(r.error));
      else p.resolve(r.callers ?? []);
    });
    const fail = (why: string) => {
      if (this.worker === worker) this.worker = null; // the next request starts a fresh thread
      for (const p of this.pending.values()) p.reject(new RaypherError('ERR_INTERNAL_UNEXPECTED', `identification thread ${why}`));
      this.pending.clear();
    };
    worker.on('error', (err) => fail(`failed: ${err.message}`));
    worker.on('exit', (code) => fail(`exited (${code})`));
    this.worker = worker;
    return worker;
  }
}
