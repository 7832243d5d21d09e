// Signed audit checkpoints: {seq, head_hash, ts} signed with Ed25519 by the vault, checked against the published key.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Db } from './sqlite.js';

/** The vault publishes the checkpoint public key under this name in the data directory (PEM, SPKI). */
export const AUDIT_PUBLIC_KEY_FILE = 'audit-checkpoint.pub';

export interface CheckpointClaim {
  seq: number;
  head_hash: string;
  ts: string;
}

export interface Checkpoint extends CheckpointClaim {
  id: number;
  key_id: string;
  /** base64 Ed25519 signature over checkpointMessage(). */
  signature: string;
}

/** The exact bytes signed: versioned and unambiguous (fields separated by newlines, none can contain one). */
export function checkpointMessage(c: CheckpointClaim): Buffer {
  return Buffer.from(`raypher-audit-checkpoint-v1\n${c.seq}\n${c.head_hash}\n${c.ts}`, 'utf8');
}

/** A short stable name for a public key: sha256 of its SPKI DER, 16 hex digits. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export function publicKeyFromPem(pem: string): KeyObject {
  return createPublicKey(pem);
}

/** The ledger's head: what a checkpoint signs (seq 0 and the genesis hash for an empty ledger). */
export async function ledgerHead(db: Db): Promise<{ seq: number; hash: string } | undefined> {
  return db.get<{ seq: number; hash: string }>('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
}

export async function appendCheckpoint(db: Db, c: Omit<Checkpoint, 'id'>): Promise<number> {
  const r = await db.run('INSERT INTO audit_checkpoints (seq, head_hash, ts, key_id, signature) VALUES (?, ?, ?, ?, ?)', [c.seq, c.head_hash, c.ts, c.key_id, c.signature]);
  return r.lastID;
}

/** The checkpoints in order (none on a database not yet migrated to the checkpoints table). */
export async function readCheckpoints(db: Db): Promise<Checkpoint[]> {
  const table = await db.get("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit_checkpoints'");
  if (!table) return [];
  return db.all<Checkpoint & Record<string, unknown>>('SELECT id, seq, head_hash, ts, key_id, signature FROM audit_checkpoints ORDER BY id');
}

const TAIL_CUT = 'were cut from the tail';

export interface CheckpointReport {
  ok: boolean;
  count: number;
  /** The first checkpoint that does not verify, and why. */
  firstBad: { id: number; seq: number; reason: string } | null;
  /** What fails the checkpoints as a whole: none over rows while a public key is known, or the newest older than maxAgeSecs. */
  problem: string | null;
  newest: { id: number; seq: number; ts: string; age_secs: number } | null;
  /** Rows after the newest checkpoint's seq: a cut among these is only visible through the checkpoint's age. */
  rows_after_newest: number | null;
}

export interface ChainView {
  /** Verified hash at each row (0 = genesis); a row missing here is cut or beyond a break. */
  hashAt: ReadonlyMap<number, string>;
  intact: boolean;
  rows: number;
  firstBrokenSeq: number | null;
}

export interface CheckpointOptions {
  now?: Date;
  /** Fail when the newest checkpoint is older than this (raypherctl audit verify --max-age). */
  maxAgeSecs?: number;
}

/** Checks every checkpoint: signed by the published key, and the verified chain reaches its seq with the same hash. */
export function verifyCheckpoints(checkpoints: readonly Checkpoint[], chain: ChainView, publicKey: KeyObject | null, { now = new Date(), maxAgeSecs }: CheckpointOptions = {}): CheckpointReport {
  const keyId = publicKey ? keyIdOf(publicKey) : null;
  const bad = checkpoints.flatMap((c) => {
    const reason = checkOne(c, chain, publicKey, keyId);
    return reason ? [{ id: c.id, seq: c.seq, reason, cut: reason.includes(TAIL_CUT) }] : [];
  });
  // A cut tail is named by the checkpoint that reaches furthest: it shows every row that is gone.
  const first = bad[0];
  const worst = first?.cut ? bad.filter((b) => b.cut).reduce((a, b) => (b.seq > a.seq ? b : a)) : first;
  const firstBad = worst ? { id: worst.id, seq: worst.seq, reason: worst.reason } : null;
  const last = checkpoints.at(-1);
  const newest = last ? { id: last.id, seq: last.seq, ts: last.ts, age_secs: Math.max(0, Math.round((now.getTime() - Date.parse(last.ts)) / 1000)) } : null;
  const problem = wholeSetProblem(newest, chain.rows, keyId, maxAgeSecs);
  return { ok: firstBad === null && problem === null, count: checkpoints.length, firstBad, problem, newest, rows_after_newest: last && chain.intact ? Math.max(0, chain.rows - last.seq) : null };
}

const SIGNING = 'the vault signs one at start and every [audit] checkpoint_interval_secs while it is unlocked';

function wholeSetProblem(newest: CheckpointReport['newest'], rows: number, keyId: string | null, maxAgeSecs: number | undefined): string | null {
  if (newest === null && rows > 0 && keyId !== null) {
    return `the ledger has ${rows} rows but no signed checkpoint, though checkpoints are signed with key ${keyId}: they were deleted (a cut tail would go unseen), or the vault never signed one (${SIGNING}); if the daemon runs, check 'raypherctl vault status' and the vault's log for ERR_AUDIT_CHECKPOINT, then verify again after the interval`;
  }
  if (maxAgeSecs === undefined) return null;
  if (newest === null) return rows > 0 ? `--max-age ${maxAgeSecs}: the ledger has ${rows} rows and no checkpoint (${SIGNING})` : null;
  if (newest.age_secs > maxAgeSecs) {
    return `the newest checkpoint (row ${newest.seq}, signed ${newest.ts}) is ${newest.age_secs} s old, over --max-age ${maxAgeSecs}: checkpoints stopped (vault down or locked) or the newest were deleted; ${SIGNING}, so check 'raypherctl status' and the vault's log`;
  }
  return null;
}

function checkOne(c: Checkpoint, chain: ChainView, publicKey: KeyObject | null, keyId: string | null): string | null {
  if (!publicKey) return `checkpoint ${c.id} cannot be checked: no public key (the vault publishes ${AUDIT_PUBLIC_KEY_FILE} in the data directory; or pass --public-key)`;
  if (c.key_id !== keyId) return `checkpoint ${c.id} (row ${c.seq}) names key ${c.key_id}, not the published key ${keyId}: forged, or signed by another key`;
  let valid = false;
  try {
    valid = verify(null, checkpointMessage(c), publicKey, Buffer.from(c.signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) return `checkpoint ${c.id} (row ${c.seq}, ${c.ts}): the signature does not verify: the checkpoint was forged or altered`;
  const hash = chain.hashAt.get(c.seq);
  if (hash === undefined) {
    if (!chain.intact) return `checkpoint ${c.id} covers row ${c.seq}, beyond the break at row ${chain.firstBrokenSeq}`;
    return `the ledger ends at row ${chain.rows}, but checkpoint ${c.id} (signed ${c.ts}) covers row ${c.seq}: rows ${chain.rows + 1}..${c.seq} ${TAIL_CUT}`;
  }
  if (hash !== c.head_hash) return `the ledger's hash at row ${c.seq} is not the one checkpoint ${c.id} signed (${c.ts}): rows at or below ${c.seq} were deleted, altered or re-chained`;
  return null;
}
