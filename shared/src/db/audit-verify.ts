// The whole audit check: the hash chain plus every signed checkpoint, over a database or an export file.
import type { KeyObject } from 'node:crypto';
import type { ErrorCode } from '../errors/index.js';
import { readRows, verifyChain, type StoredRow, type VerifyResult } from './audit.js';
import { readCheckpoints, verifyCheckpoints, type Checkpoint, type CheckpointOptions, type CheckpointReport } from './checkpoint.js';
import type { Db } from './sqlite.js';

export interface AuditReport extends VerifyResult {
  /** ERR_AUDIT_BROKEN (chain) or ERR_AUDIT_CHECKPOINT (a checkpoint); null when everything verifies. */
  code: Extract<ErrorCode, 'ERR_AUDIT_BROKEN' | 'ERR_AUDIT_CHECKPOINT'> | null;
  checkpoints: CheckpointReport;
}

export interface AuditSnapshot {
  rows: readonly StoredRow[];
  checkpoints: readonly Checkpoint[];
}

export async function readAudit(db: Db): Promise<AuditSnapshot> {
  // One read transaction, so rows and checkpoints are from the same moment.
  await db.exec('BEGIN');
  try {
    return { rows: await readRows(db), checkpoints: await readCheckpoints(db) };
  } finally {
    await db.exec('COMMIT');
  }
}

export function verifyAudit(snapshot: AuditSnapshot, publicKey: KeyObject | null, options: CheckpointOptions = {}): AuditReport {
  const { result, hashAt } = verifyChain(snapshot.rows);
  const checkpoints = verifyCheckpoints(snapshot.checkpoints, { hashAt, intact: result.ok, rows: result.rows, firstBrokenSeq: result.firstBroken?.seq ?? null }, publicKey, options);
  const code = !result.ok ? 'ERR_AUDIT_BROKEN' : !checkpoints.ok ? 'ERR_AUDIT_CHECKPOINT' : null;
  return { ...result, ok: code === null, code, checkpoints };
}
