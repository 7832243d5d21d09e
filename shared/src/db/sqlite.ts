// A small promise wrapper over sqlite3 with WAL, a busy timeout and serialized transactions.
import { chmodSync, closeSync, openSync } from 'node:fs';
import sqlite3 from 'sqlite3';
import { RaypherError } from '../errors/index.js';

export type Row = Record<string, unknown>;
export type Param = string | number | bigint | Buffer | null;

/** Time a writer waits for another process's lock before failing, in ms. */
const BUSY_TIMEOUT_MS = 5000;

/** raypher.db and vault.db hold the audit ledger and secrets: owner only, whatever the umask or directory. */
const DB_FILE_MODE = 0o600;
/** The files SQLite keeps beside a database; it creates them with the database's mode, older ones are forced. */
const COMPANION_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

export class Db {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly raw: sqlite3.Database, readonly file: string) {}

  static async open(file: string, { readOnly = false } = {}): Promise<Db> {
    if (!readOnly) restrictMode(file, true);
    const flags = readOnly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const db = new sqlite3.Database(file, flags, (err) => (err ? reject(err) : resolve(db)));
    }).catch((err: Error) => {
      throw new RaypherError('ERR_DB_OPEN', `cannot open ${file}: ${err.message}`);
    });
    raw.configure('busyTimeout', BUSY_TIMEOUT_MS);
    const db = new Db(raw, file);
    if (!readOnly) {
      await db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
      for (const suffix of COMPANION_SUFFIXES) restrictMode(`${file}${suffix}`, false);
    }
    return db;
  }

  run(sql: string, params: Param[] = []): Promise<{ lastID: number; changes: number }> {
    return new Promise((resolve, reject) => {
      this.raw.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ lastID: this.lastID, changes: this.changes });
      });
    });
  }

  get<T extends Row = Row>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => this.raw.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined))));
  }

  all<T extends Row = Row>(sql: string, params: Param[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => this.raw.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.raw.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * Runs fn inside BEGIN IMMEDIATE (takes the write lock up front, so appends from several processes
   * queue in order). Calls within one process are serialized so transactions never interleave.
   */
  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const next = this.chain.then(async () => {
      await this.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this);
        await this.exec('COMMIT');
        return out;
      } catch (err) {
        await this.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.raw.close(() => resolve()));
  }
}

/** Creates the file 0600 (create) or forces an existing one to 0600; a file that cannot be made private stops the open. */
function restrictMode(path: string, create: boolean): void {
  try {
    if (create) closeSync(openSync(path, 'a', DB_FILE_MODE));
    chmodSync(path, DB_FILE_MODE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!create && code === 'ENOENT') return;
    throw new RaypherError('ERR_DB_OPEN', `cannot make ${path} private (mode 0600): ${code ?? (err as Error).message}; it must be owned by the user Raypher runs as`);
  }
}
