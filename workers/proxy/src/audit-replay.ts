// Start-up replay of journals left by a dead proxy: every begun key use without a row gets one, exactly once.
import { presentRequestRows, requestRowKey, type AuditLedger, type Db, type EventName } from '@raypher/shared/db';
import { readJournal, removeJournal, type JournalDir, type JournalFile, type JournalRecord } from './audit-journal.js';

export interface ReplayCounts {
  files: number;
  records: number;
  torn_lines: number;
  rows_written: number;
  already_present: number;
  incomplete: number;
  /** Journals of a proxy that is still alive (a swap in progress): left for it, or for a later start. */
  skipped_live_files: number;
}

type Row = { type: EventName; data: Record<string, unknown> };

/** Folds dead proxies' journals into raypher.db (one transaction, with audit.replayed), then removes them. */
export async function replayJournals(journal: JournalDir, db: Db, ledger: AuditLedger, isAlive: (pid: number) => boolean = pidAlive): Promise<ReplayCounts> {
  const all = journal.files();
  const files = all.filter((f) => f.pid === process.pid || !isAlive(f.pid));
  const counts: ReplayCounts = { files: files.length, records: 0, torn_lines: 0, rows_written: 0, already_present: 0, incomplete: 0, skipped_live_files: all.length - files.length };
  if (files.length === 0) return counts;
  const records: JournalRecord[] = [];
  for (const f of files) {
    const r = readJournal(f.path);
    records.push(...r.records);
    counts.torn_lines += r.torn;
  }
  counts.records = records.length;
  const rows = rowsOf(records);
  const ids = [...new Set(rows.flatMap((r) => (typeof r.data.request_id === 'string' ? [r.data.request_id] : [])))];
  const present = await presentRequestRows(db, ids);
  // A record with no request_id (written by a proxy before every journaled row had one) cannot be looked up: written.
  const missing = rows.filter((r) => typeof r.data.request_id !== 'string' || !present.has(requestRowKey(r.type, r.data.request_id)));
  counts.already_present = rows.length - missing.length;
  counts.rows_written = missing.length;
  counts.incomplete = missing.filter((r) => r.data.incomplete === true).length;
  // The rows and the record of the replay commit together; the journals go only after that (a crash re-replays).
  if (counts.rows_written > 0 || counts.torn_lines > 0) await ledger.appendMany([...missing, { type: 'audit.replayed', data: { ...counts } }]);
  for (const f of files) removeJournal(f.path);
  return counts;
}

/**
 * The rows a set of journal records stands for, in journal order: a begun key use with its completion, or marked
 * incomplete (status null) when the proxy died before it completed, one per request_id; and one row per other
 * record, keyed by (type, request_id), or by its position in the journal when it has no request_id (several
 * refused connections are several rows, not one).
 */
export function rowsOf(records: readonly JournalRecord[]): Row[] {
  const begun = new Map<string, { at: string; d: Record<string, unknown> }>();
  const completed = new Map<string, Record<string, unknown>>();
  const events = new Map<string, Row>();
  records.forEach((r, position) => {
    if (r.k === 'b') begun.set(r.id, begun.get(r.id) ?? { at: r.at, d: r.d });
    else if (r.k === 'c') completed.set(r.id, r.d);
    else events.set(typeof r.d.request_id === 'string' ? requestRowKey(r.t, r.d.request_id) : `#${position}`, { type: r.t, data: r.d });
  });
  const rows: Row[] = [];
  for (const [id, b] of begun) {
    const done = completed.get(id);
    rows.push({ type: 'proxy.request', data: done ? { ...b.d, ...done, replayed: true } : { ...b.d, status: null, incomplete: true, begun_at: b.at, replayed: true } });
  }
  return [...rows, ...events.values()];
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type { JournalFile };
