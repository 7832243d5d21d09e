// The identification thread, seen from the proxy: a Peer over a MessagePort (a ~5 ms /proc scan for a new connection
// never stalls the requests on connections already open). A thread that exits is started again on the next call.
import { MessageChannel, Worker } from 'node:worker_threads';
import { RaypherError } from '@raypher/shared/errors';
import { Peer, PortTransport, type Infer, type MethodDef } from '@raypher/shared/ipc';
import { IDENTITY_TIMEOUTS_MS, IdentityMethods, type IdentityMethod } from './protocol.js';

type EntriesParams = Infer<typeof IdentityMethods.entries.params>;
type MethodName = keyof typeof IdentityMethods;
type ParamsOf<M> = M extends MethodDef<infer P, unknown> ? P : never;
type ResultOf<M> = M extends MethodDef<unknown, infer R> ? R : never;

export interface IdentityThreadOptions {
  /** The thread's entry module (tests start fixture threads that die or hang). */
  entry: URL;
  timeoutsMs: Readonly<Record<MethodName, number>>;
}

const DEFAULTS: IdentityThreadOptions = { entry: new URL('./thread-main.js', import.meta.url), timeoutsMs: IDENTITY_TIMEOUTS_MS };

export class IdentityThread {
  private current: { worker: Worker; peer: Peer } | null = null;
  /** The last entries sent, re-sent to a fresh thread after a crash. */
  private lastEntries: EntriesParams | null = null;

  /** journalPath: where the exec ledger keeps its records across restarts (null: memory only). */
  constructor(private readonly journalPath: string | null, private readonly options: IdentityThreadOptions = DEFAULTS) {}

  /** Started with the proxy, not on first use: the exec ledger records only execs that happen after it starts. */
  start(): void {
    this.ensure();
  }

  /** A call to the thread; a thread that is gone, hung or answers out of shape fails it with ERR_PROXY_IDENTITY_FAILED. */
  call<M extends IdentityMethod>(def: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (def === IdentityMethods.entries) this.lastEntries = params as EntriesParams;
    return this.ensure()
      .call(def as MethodDef<ParamsOf<M>, ResultOf<M>>, params, { timeoutMs: this.options.timeoutsMs[def.name as MethodName] })
      .catch((err: unknown) => Promise.reject(linkFailure(def.name, err)));
  }

  close(): Promise<number> | undefined {
    const c = this.current;
    this.current = null;
    c?.peer.close();
    return c?.worker.terminate();
  }

  private ensure(): Peer {
    if (this.current) return this.current.peer;
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(this.options.entry, { workerData: { journalPath: this.journalPath, port: port2 }, transferList: [port2] });
    const peer = new Peer(new PortTransport(port1), { label: 'identification thread' });
    worker.unref();
    port1.unref();
    // The port closes when the thread exits (before 'exit' is emitted), which fails the calls in flight; the next
    // call starts a fresh thread. A thread whose port closed otherwise is ended too: it can no longer be asked.
    const gone = () => {
      if (this.current?.peer === peer) this.current = null;
      peer.close();
      void worker.terminate();
    };
    peer.onClose(gone);
    worker.on('error', gone);
    worker.on('exit', gone);
    this.current = { worker, peer };
    // Queued ahead of any identify, so the fresh thread decides with the current rules. If it fails, the thread has
    // no entries and denies everyone (fail closed) until the next push.
    if (this.lastEntries) peer.call(IdentityMethods.entries, this.lastEntries, { timeoutMs: this.options.timeoutsMs.entries }).catch(() => undefined);
    return peer;
  }
}

/** The link failed (thread gone, hung, reply out of shape): identification did not happen. Answers of the thread pass. */
function linkFailure(method: string, err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('ERR_IPC_')) return err;
  return new RaypherError('ERR_PROXY_IDENTITY_FAILED', `the identification thread did not answer ${method}: ${(err as Error).message}`, { cause: err });
}
