import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLedger, openRaypherDb, verifyLedger, type Db } from '@raypher/shared/db';
import type { Logger } from '@raypher/shared/logging';
import { AuditBatcher, JOURNAL_DIR_NAME } from './audit-batch.js';
import { JournalDir, type JournalRecord } from './audit-journal.js';
import { replayJournals, rowsOf } from './audit-replay.js';

const quiet = { info() {}, warn() {}, error() {} } as unknown as Logger;
const at = new Date().toISOString();
/** A too_many_connections denial as refusals.ts writes it: no request was read, so no request_id. */
const refused = (open: number): JournalRecord => ({ k: 'e', t: 'proxy.denied', at, d: { reason: 'too_many_connections', uid: 65534, open, limit: 64 } });

describe('journal replay', () => {
  it('keeps every record without a request_id as its own row (several refused connections are not merged into one)', () => {
    const records: JournalRecord[] = [refused(64), refused(64), refused(65), { k: 'e', t: 'proxy.denied', at, d: { request_id: 'd1', reason: 'not_listed' } }];
    const rows = rowsOf(records);
    expect(rows.map((r) => [r.type, r.data.reason, r.data.request_id ?? null])).toEqual([
      ['proxy.denied', 'too_many_connections', null],
      ['proxy.denied', 'too_many_connections', null],
      ['proxy.denied', 'too_many_connections', null],
      ['proxy.denied', 'not_listed', 'd1'],
    ]);
  });

  describe('against raypher.db', () => {
    let dir: string;
    let db: Db;
    let ledger: AuditLedger;
    const denied = async () => (await db.all<{ body: string }>("SELECT body FROM events WHERE type = 'proxy.denied' ORDER BY seq")).map((r) => (JSON.parse(r.body) as { data: Record<string, unknown> }).data);
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'raypher-replay-'));
      db = await openRaypherDb(join(dir, 'raypher.db'));
      ledger = new AuditLedger(db, 'proxy');
    });
    afterEach(async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('writes each unfolded id-less denial of a killed proxy once, and none of those it had already folded', async () => {
      const dead = await AuditBatcher.open(db, ledger, quiet);
      dead.add('proxy.denied', { reason: 'too_many_connections', uid: 65534, open: 64, limit: 64 });
      dead.add('proxy.denied', { reason: 'too_many_connections', uid: 65534, open: 64, limit: 64 });
      await dead.flush(); // folded: these two are in raypher.db and still in the journal
      for (let i = 0; i < 3; i++) dead.add('proxy.denied', { reason: 'too_many_connections', uid: 65534, open: 64, limit: 64 });
      // The proxy "dies" here (kill -9): three denials journaled, not folded.
      const counts = await replayJournals(new JournalDir(join(dir, JOURNAL_DIR_NAME)), db, ledger, () => false);
      expect(counts).toMatchObject({ records: 5, rows_written: 3, already_present: 2 });
      const rows = await denied();
      expect(rows).toHaveLength(5);
      expect(new Set(rows.map((r) => r.request_id)).size).toBe(5);
      expect((await verifyLedger(db)).ok).toBe(true);
    });

    it('a journal from before denials had ids: each id-less record is written (none merged)', async () => {
      const old = new JournalDir(join(dir, JOURNAL_DIR_NAME), 424_242);
      old.rotate();
      old.append(refused(64), refused(64), refused(64));
      old.close();
      const counts = await replayJournals(new JournalDir(join(dir, JOURNAL_DIR_NAME)), db, ledger, () => false);
      expect(counts).toMatchObject({ records: 3, rows_written: 3 });
      expect((await denied()).map((r) => r.reason)).toEqual(['too_many_connections', 'too_many_connections', 'too_many_connections']);
    });
  });
});
