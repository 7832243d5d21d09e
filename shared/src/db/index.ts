// Public face of storage: the SQLite wrapper, migrations, the raypher.db schema and the audit ledger.
import { Db } from './sqlite.js';
import { migrate } from './migrate.js';
import { RAYPHER_DB_MIGRATIONS } from './schema.js';

export { Db, type Row, type Param } from './sqlite.js';
export { migrate, type Migration } from './migrate.js';
export { RAYPHER_DB_MIGRATIONS } from './schema.js';
export { EVENT_NAMES, type EventName } from './event-names.js';
export { AuditLedger, verifyLedger, chainHash, GENESIS_HASH, type VerifyResult } from './audit.js';

/** Opens raypher.db and brings its schema up to date. */
export async function openRaypherDb(file: string): Promise<Db> {
  const db = await Db.open(file);
  await migrate(db, RAYPHER_DB_MIGRATIONS);
  return db;
}
