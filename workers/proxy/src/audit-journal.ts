// The proxy's durable audit journal: append-only 0600 files, one JSON line per record, written with writeSync.
import { closeSync, constants, fdatasync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { EventName } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';

/**
 * One journal line. b: a key use begun (written before the key leaves); c: its completion; e: a row with no
 * key use (a denial). `at` is when the record was written (ISO).
 */
export type JournalRecord =
  | { k: 'b'; id: string; at: string; d: Record<string, unknown> }
  | { k: 'c'; id: string; at: string; d: Record<string, unknown> }
  | { k: 'e'; t: EventName; at: string; d: Record<string, unknown> };

export interface JournalFile {
  gen: number;
  pid: number;
  path: string;
}

const FILE_PATTERN = /^journal-(\d{12})-(\d+)\.jsonl$/;
const fileName = (gen: number, pid: number) => `journal-${String(gen).padStart(12, '0')}-${pid}.jsonl`;

/** The journal directory (0700, in the data dir beside raypher.db) and the file this process appends to. */
export class JournalDir {
  private fd: number | null = null;
  private current: JournalFile | null = null;
  /** Bytes appended to the current file. */
  bytes = 0;

  constructor(readonly dir: string, private readonly pid = process.pid) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw journalError(`cannot create the audit journal directory ${dir}`, err);
    }
  }

  /** Journal files in generation order. */
  files(): JournalFile[] {
    const out: JournalFile[] = [];
    for (const name of readdirSync(this.dir)) {
      const m = FILE_PATTERN.exec(name);
      if (m) out.push({ gen: Number(m[1]), pid: Number(m[2]), path: join(this.dir, name) });
    }
    return out.sort((a, b) => a.gen - b.gen || a.pid - b.pid);
  }

  get active(): JournalFile {
    if (!this.current) throw new RaypherError('ERR_AUDIT_JOURNAL', 'the audit journal is not open');
    return this.current;
  }

  /** Starts a new file (the next generation, O_APPEND, 0600) with these lines first; returns the file it replaced. */
  rotate(carry: readonly JournalRecord[] = []): JournalFile | null {
    const gen = Math.max(0, ...this.files().map((f) => f.gen)) + 1;
    const file = { gen, pid: this.pid, path: join(this.dir, fileName(gen, this.pid)) };
    let fd: number;
    try {
      fd = openSync(file.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch (err) {
      throw journalError(`cannot create audit journal file ${file.path}`, err);
    }
    const text = carry.map(line).join('');
    try {
      if (text) writeSync(fd, text);
    } catch (err) {
      closeSync(fd);
      throw journalError(`cannot write audit journal file ${file.path}`, err);
    }
    const previous = this.current;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = fd;
    this.current = file;
    this.bytes = Buffer.byteLength(text);
    return previous;
  }

  /** Appends records with a single write(2): once it returns, a kill -9 of any process cannot lose them. */
  append(...records: JournalRecord[]): void {
    if (this.fd === null) throw new RaypherError('ERR_AUDIT_JOURNAL', 'the audit journal is closed');
    const text = records.map(line).join('');
    try {
      this.bytes += writeSync(this.fd, text);
    } catch (err) {
      throw journalError(`cannot append to audit journal ${this.current?.path}`, err);
    }
  }

  /** Pushes written records to the disk off the event loop (bounds what a power loss can take). */
  sync(onError: (err: Error) => void): void {
    if (this.fd !== null) fdatasync(this.fd, (err) => err && onError(err));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Reads a journal file's records; a torn last line (a write cut by power loss) is counted, not fatal. */
export function readJournal(path: string): { records: JournalRecord[]; torn: number } {
  const records: JournalRecord[] = [];
  let torn = 0;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    if (!raw) continue;
    try {
      records.push(JSON.parse(raw) as JournalRecord);
    } catch {
      torn++;
    }
  }
  return { records, torn };
}

export function removeJournal(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw journalError(`cannot remove folded audit journal ${path}`, err);
  }
}

const line = (r: JournalRecord) => `${JSON.stringify(r)}\n`;

function journalError(what: string, err: unknown): RaypherError {
  return new RaypherError('ERR_AUDIT_JOURNAL', `${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; check the data directory's disk space and permissions`);
}
