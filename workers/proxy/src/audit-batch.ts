// Proxy audit rows: journaled durably first (audit-journal.ts), folded into raypher.db in batches off the request path.
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { AuditLedger, Db, EventName } from '@raypher/shared/db';
import type { Logger } from '@raypher/shared/logging';
import { JournalDir, removeJournal, type JournalFile, type JournalRecord } from './audit-journal.js';
import { replayJournals } from './audit-replay.js';

/** Fold at least this often, and whenever this many rows wait. */
const FLUSH_EVERY_MS = 250;
const MAX_BATCH = 200;
/**
 * fdatasync the journal at most this often (off the event loop): bounds what a power loss can take. More often
 * cost c=16 throughput on the bench (each sync competes with SQLite for the disk and the thread pool).
 */
const SYNC_EVERY_MS = 1000;
/** Start a new journal file once the current one holds this many bytes (the old one goes once folded). */
const ROTATE_AT_BYTES = 1024 * 1024;
/** The journal directory, beside raypher.db in the data directory. */
export const JOURNAL_DIR_NAME = 'audit-journal';

type Pending = { type: EventName; data: Record<string, unknown>; gen: number };

export class AuditBatcher {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  /** Begun key uses not yet completed (their begin record is in the journal). */
  private readonly open = new Map<string, { at: string; d: Record<string, unknown> }>();
  /** Rows not yet committed, per journal generation: a replaced file is removed once its count is zero. */
  private readonly unfolded = new Map<number, number>();
  private readonly retired: JournalFile[] = [];
  private syncedAt = 0;
  /** Completions waiting for this turn's write, each with what it gates. */
  private readonly completions: Array<{ id: string; data: Record<string, unknown>; then: () => void }> = [];

  private constructor(private readonly journal: JournalDir, private readonly ledger: AuditLedger, private readonly logger: Logger, private readonly rotateAtBytes: number) {}

  /** Replays what a killed proxy left in the journal, then opens this process's journal file. */
  static async open(db: Db, ledger: AuditLedger, logger: Logger, { rotateAtBytes = ROTATE_AT_BYTES } = {}): Promise<AuditBatcher> {
    const journal = new JournalDir(join(dirname(db.file), JOURNAL_DIR_NAME));
    const counts = await replayJournals(journal, db, ledger);
    if (counts.rows_written > 0 || counts.torn_lines > 0) logger.info('audit journal replayed', { ...counts });
    journal.rotate();
    return new AuditBatcher(journal, ledger, logger, rotateAtBytes);
  }

  /** Records a key use before the key leaves the proxy. Throws ERR_AUDIT_JOURNAL when it cannot (the caller fails closed). */
  begin(requestId: string, data: Record<string, unknown>): void {
    const at = new Date().toISOString();
    this.journal.append({ k: 'b', id: requestId, at, d: data });
    this.open.set(requestId, { at, d: data });
  }

  /**
   * Completes a begun key use (status, sizes, usage or the error) as its proxy.request row. With `then` (what the
   * completion gates: the response's last byte), the record joins the other completions of this event-loop turn in
   * one write, and `then` runs once it is written: one write(2) for many responses, and still no response the client
   * has in full without its completed record.
   */
  complete(requestId: string, data: Record<string, unknown>, then?: () => void): void {
    if (!then) return void this.completeNow([{ id: requestId, data }]);
    this.completions.push({ id: requestId, data, then });
    if (this.completions.length === 1) setImmediate(this.writeCompletions);
  }

  /** The completions of this turn, in one write; then what each one gated. */
  private readonly writeCompletions = (): void => {
    const batch = this.completions.splice(0);
    if (batch.length === 0) return;
    this.completeNow(batch);
    for (const c of batch) c.then?.();
  };

  private completeNow(batch: ReadonlyArray<{ id: string; data: Record<string, unknown> }>): void {
    const records: JournalRecord[] = [];
    const rows: Array<Record<string, unknown>> = [];
    const at = new Date().toISOString();
    for (const { id, data } of batch) {
      const begun = this.open.get(id);
      if (!begun) continue;
      this.open.delete(id);
      records.push({ k: 'c', id, at, d: data });
      rows.push({ ...begun.d, ...data });
    }
    // If this write fails, replay still finds the begins: those uses get rows marked incomplete.
    if (records.length > 0) this.write(records);
    for (const row of rows) this.enqueue('proxy.request', row);
  }

  /**
   * A row with no key use (a denial, a rate limit). One that names no request (a connection refused before any was
   * read) gets a request_id of its own, so a replay after a crash finds its row instead of writing it again.
   */
  add(type: EventName, data: Record<string, unknown>): void {
    const row = data.request_id === undefined ? { ...data, request_id: randomUUID() } : data;
    this.write([{ k: 'e', t: type, at: new Date().toISOString(), d: row }]);
    this.enqueue(type, row);
  }

  /** Folds what waits into raypher.db (one transaction); resolves when it is written (or has failed and waits again). */
  flush(): Promise<void> {
    this.writeCompletions();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue.splice(0);
    if (batch.length === 0) return this.writing;
    if (Date.now() - this.syncedAt >= SYNC_EVERY_MS) {
      this.syncedAt = Date.now();
      this.journal.sync((err) => this.logger.warn('audit journal fdatasync failed', { error: err.message }));
    }
    this.writing = this.writing.then(() =>
      this.ledger.appendMany(batch).then(
        () => this.folded(batch),
        (err: unknown) => {
          // The rows stay in the journal and in the queue: the next fold (or a replay after a crash) writes them.
          this.logger.error('proxy audit batch failed; retrying', { rows: batch.length, error: (err as Error).message });
          this.queue.unshift(...batch);
          this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS).unref();
        },
      ),
    );
    return this.writing;
  }

  /** Completions and denials are journaled before what they gate: a 200 the client saw has its completed record. */
  private write(records: JournalRecord[]): void {
    try {
      this.journal.append(...records);
    } catch (err) {
      this.logger.error('audit journal write failed; the row is only in memory until folded', { error: (err as Error).message });
    }
  }

  private enqueue(type: EventName, data: Record<string, unknown>): void {
    const gen = this.journal.active.gen;
    this.unfolded.set(gen, (this.unfolded.get(gen) ?? 0) + 1);
    this.queue.push({ type, data, gen });
    if (this.queue.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS).unref();
  }

  /** After a commit: count the rows down, rotate a full journal, remove replaced files with nothing left to fold. */
  private folded(batch: readonly Pending[]): void {
    for (const p of batch) {
      const left = (this.unfolded.get(p.gen) ?? 1) - 1;
      if (left > 0) this.unfolded.set(p.gen, left);
      else this.unfolded.delete(p.gen);
    }
    try {
      if (this.journal.bytes >= this.rotateAtBytes) {
        // Open key uses are copied into the new file first, so the old one holds nothing that is not folded or copied.
        const carry: JournalRecord[] = [...this.open].map(([id, b]) => ({ k: 'b', id, at: b.at, d: b.d }));
        const previous = this.journal.rotate(carry);
        if (previous) this.retired.push(previous);
      }
      const oldest = Math.min(this.journal.active.gen, ...this.unfolded.keys());
      while (this.retired.length > 0 && (this.retired[0] as JournalFile).gen < oldest) removeJournal((this.retired.shift() as JournalFile).path);
    } catch (err) {
      this.logger.error('audit journal rotation failed; the current file keeps growing', { error: (err as Error).message });
    }
  }
}
