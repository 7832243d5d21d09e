// Tells whether a SQLite database may have changed since the last look, from its files' stat (no query): the scanner
// reads raypher.db's evidence and panic rows, and vault.db's sealed fingerprints, only after a commit touched them.
import { statSync } from 'node:fs';

/** A database is read again at least this often even if its files look unchanged (a safety net, not the trigger). */
export const FORCED_REREAD_PASSES = 30;

export class DbChangeWatch {
  private last = '';
  private looks = 0;

  /** The database file and its WAL: a commit in WAL mode changes the WAL's size or mtime, a checkpoint the file's. */
  constructor(private readonly files: readonly string[]) {}

  static of(dbFile: string): DbChangeWatch {
    return new DbChangeWatch([dbFile, `${dbFile}-wal`]);
  }

  /** True on the first call, when a file changed since the last call, or every FORCED_REREAD_PASSES calls. */
  changed(): boolean {
    let sig = '';
    for (const f of this.files) {
      const st = statSync(f, { bigint: true, throwIfNoEntry: false });
      sig += st ? `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs};` : '-;';
    }
    const forced = this.looks++ % FORCED_REREAD_PASSES === 0;
    if (sig === this.last && !forced) return false;
    this.last = sig;
    return true;
  }
}
