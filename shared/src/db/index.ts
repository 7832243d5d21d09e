// Public face of storage: the SQLite wrapper, migrations, the raypher.db schema and the audit ledger.
import { Db } from './sqlite.js';
import { migrate } from './migrate.js';
import { RAYPHER_DB_MIGRATIONS } from './schema.js';

export { Db, type Row, type Param } from './sqlite.js';
export { migrate, type Migration } from './migrate.js';
export type { EventName } from './event-names.js';
export { AuditLedger, verifyLedger, presentRequestRows, requestRowKey, GENESIS_HASH, type VerifyResult, type StoredRow } from './audit.js';
export { AUDIT_PUBLIC_KEY_FILE, appendCheckpoint, checkpointMessage, keyIdOf, ledgerHead, publicKeyFromPem, readCheckpoints, type Checkpoint, type CheckpointClaim, type CheckpointOptions, type CheckpointReport } from './checkpoint.js';
export { readAudit, verifyAudit, type AuditReport, type AuditSnapshot } from './audit-verify.js';
export { exportLines, parseExport } from './audit-export.js';
export { usageReport, type UsageLine } from './usage-report.js';
export { addAlert, type Alert } from './alerts.js';

/** Opens raypher.db and brings its schema up to date. */
export async function openRaypherDb(file: string): Promise<Db> {
  const db = await Db.open(file);
  await migrate(db, RAYPHER_DB_MIGRATIONS);
  return db;
}
