// vault.db: secrets (one encrypted row per provider) and meta (the wrapped data key and vault settings).
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { Db, migrate, type Migration } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
      CREATE TABLE secrets (
        id INTEGER PRIMARY KEY,
        provider TEXT NOT NULL UNIQUE,
        nonce BLOB NOT NULL,
        blob BLOB NOT NULL,
        key_version INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
];

export interface SecretRow {
  id: number;
  provider: string;
  nonce: Buffer;
  blob: Buffer;
  key_version: number;
  fingerprint: string;
  created_at: string;
  updated_at: string;
}

export type MetaKey = 'protector' | 'key_version' | 'dek_nonce' | 'dek_blob' | 'fp_salt' | 'pcrs' | 'recovery_public' | 'recovery_ephemeral' | 'recovery_nonce' | 'recovery_blob' | 'audit_signing_nonce' | 'audit_signing_blob';

export class VaultStore {
  private constructor(readonly db: Db) {}

  /** Opens (creating 0600 if needed) and migrates vault.db; refuses a file others can read. */
  static async open(file: string): Promise<VaultStore> {
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    if ((statSync(file).mode & 0o077) !== 0) throw new RaypherError('ERR_DB_OPEN', `${file} is readable by others and could not be made 0600`);
    const db = await Db.open(file);
    await migrate(db, MIGRATIONS);
    return new VaultStore(db);
  }

  async meta(key: MetaKey, db: Db = this.db): Promise<Buffer | null> {
    const row = await db.get<{ value: Buffer }>('SELECT value FROM meta WHERE key = ?', [key]);
    return row ? Buffer.from(row.value) : null;
  }

  async metaText(key: MetaKey, db: Db = this.db): Promise<string | null> {
    return (await this.meta(key, db))?.toString('utf8') ?? null;
  }

  setMeta(db: Db, key: MetaKey, value: Buffer | string): Promise<unknown> {
    return db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8')]);
  }

  secret(provider: string, db: Db = this.db): Promise<SecretRow | undefined> {
    return db.get<SecretRow & Record<string, unknown>>('SELECT * FROM secrets WHERE provider = ?', [provider]);
  }

  secrets(db: Db = this.db): Promise<SecretRow[]> {
    return db.all<SecretRow & Record<string, unknown>>('SELECT * FROM secrets ORDER BY provider');
  }

  async count(): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT count(*) AS n FROM secrets'))?.n ?? 0;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
