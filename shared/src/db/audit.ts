// The append-only, hash-chained audit ledger: hash = sha256(prev_hash || exact stored body bytes).
import { createHash } from 'node:crypto';
import type { EventName } from './event-names.js';
import type { Db, Param } from './sqlite.js';

/** Rows per INSERT statement (4 parameters each, well under SQLite's parameter limit). */
const ROWS_PER_INSERT = 200;
/** request_ids per lookup query during journal replay. */
const IDS_PER_QUERY = 500;

export const GENESIS_HASH = '0'.repeat(64);

export function chainHash(prevHashHex: string, body: string): string {
  return createHash('sha256').update(Buffer.from(prevHashHex, 'hex')).update(Buffer.from(body, 'utf8')).digest('hex');
}

export class AuditLedger {
  constructor(private readonly db: Db, private readonly actor: string) {}

  /** Appends one event inside BEGIN IMMEDIATE so appends from several processes stay in one chain. */
  async append(type: EventName, data: Record<string, unknown> = {}): Promise<number> {
    return this.appendMany([{ type, data }]);
  }

  /** Appends several events in one transaction (batched writers such as the proxy); returns the last seq. */
  appendMany(events: ReadonlyArray<{ type: EventName; data: Record<string, unknown> }>): Promise<number> {
    return this.db.transaction(async (tx) => {
      const head = await tx.get<{ seq: number; hash: string }>('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
      let seq = head?.seq ?? 0;
      let prev = head?.hash ?? GENESIS_HASH;
      const ts = new Date().toISOString();
      const rows: Param[] = [];
      for (const { type, data } of events) {
        seq++;
        const body = JSON.stringify({ seq, ts, type, actor: this.actor, data });
        const hash = chainHash(prev, body);
        rows.push(seq, body, prev, hash);
        prev = hash;
      }
      // One multi-row INSERT per chunk: a batch is a handful of statements, not one round trip per row.
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT * 4) {
        const chunk = rows.slice(i, i + ROWS_PER_INSERT * 4);
        await tx.run(`INSERT INTO events (seq, body, prev_hash, hash) VALUES ${Array(chunk.length / 4).fill('(?, ?, ?, ?)').join(', ')}`, chunk);
      }
      return seq;
    });
  }
}

export interface VerifyResult {
  ok: boolean;
  rows: number;
  headHash: string;
  firstBroken: { seq: number; reason: string } | null;
}

/** One stored row of events, as verify and export read it. */
export interface StoredRow {
  seq: number;
  body: string;
  prev_hash: string;
  hash: string;
}

export function readRows(db: Db): Promise<StoredRow[]> {
  return db.all<StoredRow & Record<string, unknown>>('SELECT seq, body, prev_hash, hash FROM events ORDER BY seq');
}

/** Recomputes the chain from the first row and names the first row that does not verify. */
export async function verifyLedger(db: Db): Promise<VerifyResult> {
  return verifyChain(await readRows(db)).result;
}

/**
 * The pure chain check over rows in seq order. Also returns the verified hash at each row (seq 0 = genesis),
 * which signed checkpoints are compared against.
 */
export function verifyChain(rows: readonly StoredRow[]): { result: VerifyResult; hashAt: Map<number, string> } {
  const hashAt = new Map<number, string>([[0, GENESIS_HASH]]);
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const row of rows) {
    const broken = (reason: string, seq = row.seq) => ({ result: { ok: false, rows: rows.length, headHash: prev, firstBroken: { seq, reason } }, hashAt });
    if (row.seq !== expectedSeq) return broken(`row ${expectedSeq} is missing (next row is ${row.seq})`, expectedSeq);
    if (row.prev_hash !== prev) return broken('prev_hash does not match the previous row’s hash');
    if (chainHash(prev, row.body) !== row.hash) return broken('hash does not match the stored body (row was altered)');
    let parsed: { seq?: unknown };
    try {
      parsed = JSON.parse(row.body) as { seq?: unknown };
    } catch {
      return broken('body is not valid JSON');
    }
    if (parsed.seq !== row.seq) return broken(`body says seq ${String(parsed.seq)}`);
    prev = row.hash;
    hashAt.set(row.seq, row.hash);
    expectedSeq++;
  }
  return { result: { ok: true, rows: rows.length, headHash: prev, firstBroken: null }, hashAt };
}

/** Which of these (type, request_id) pairs already have a row: journal replay writes only the others. */
export async function presentRequestRows(db: Db, requestIds: readonly string[]): Promise<Set<string>> {
  const present = new Set<string>();
  for (let i = 0; i < requestIds.length; i += IDS_PER_QUERY) {
    const chunk = requestIds.slice(i, i + IDS_PER_QUERY);
    const rows = await db.all<{ type: string; request_id: string }>(`SELECT type, request_id FROM events WHERE request_id IN (${chunk.map(() => '?').join(', ')})`, chunk);
    for (const r of rows) present.add(requestRowKey(r.type, r.request_id));
  }
  return present;
}

export const requestRowKey = (type: string, requestId: string): string => `${type}|${requestId}`;
