// What the proxy's audit rows say about processes: which pids used the proxy, which were refused as not listed, and the allow list.
import type { Db } from '@raypher/shared/db';
import type { AllowRow } from './allow-check.js';

interface EventRow {
  seq: number;
  type: string;
  body: string;
  [k: string]: unknown;
}

export interface Denial {
  readonly pid: number;
  readonly exe: string | null;
}

/** Reads events incrementally (from the last seq seen); the first read starts at the ledger's head minus a window. */
export class ProxyEvidence {
  private lastSeq: number | null = null;
  readonly usedProxy = new Set<number>();
  readonly denied = new Map<number, Denial>();
  private allowStale = true;

  /** `onAllowList`: the allow list's rows, after the first read and after each allow.added or allow.removed row. */
  constructor(private readonly db: Db, private readonly onAllowList: (rows: AllowRow[]) => void) {}

  async refresh(): Promise<void> {
    if (this.lastSeq === null) {
      const head = await this.db.get<{ seq: number }>('SELECT MAX(seq) AS seq FROM events');
      this.lastSeq = Math.max(0, (head?.seq ?? 0) - 10_000);
    }
    const rows = await this.db.all<EventRow>(`SELECT seq, type, body FROM events WHERE seq > ? AND type IN ('proxy.request', 'proxy.denied', 'allow.added', 'allow.removed') ORDER BY seq`, [this.lastSeq]);
    for (const r of rows) {
      this.lastSeq = r.seq;
      if (r.type.startsWith('allow.')) {
        this.allowStale = true;
        continue;
      }
      const data = (JSON.parse(r.body) as { data?: { pid?: unknown; exe?: unknown; reason?: unknown } }).data ?? {};
      if (typeof data.pid !== 'number') continue;
      if (r.type === 'proxy.request') this.usedProxy.add(data.pid);
      else if (data.reason === 'not_listed' || data.reason === 'script_not_allowed') this.denied.set(data.pid, { pid: data.pid, exe: typeof data.exe === 'string' ? data.exe : null });
    }
    // The allow list is re-read only after an allow.added or allow.removed row.
    if (!this.allowStale) return;
    this.allowStale = false;
    this.onAllowList(await this.db.all<AllowRow & Record<string, unknown>>('SELECT exe_path, exe_hash, uid, family, script_path, script_hash, any_script, trees FROM allow_list'));
  }

  /** Forgets pids that exited. */
  prune(alive: (pid: number) => boolean): void {
    for (const pid of this.usedProxy) if (!alive(pid)) this.usedProxy.delete(pid);
    for (const pid of this.denied.keys()) if (!alive(pid)) this.denied.delete(pid);
  }
}
