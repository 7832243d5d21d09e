import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLedger, openRaypherDb, verifyLedger, type Db } from './index.js';

describe('audit ledger', () => {
  let dir: string;
  let db: Db;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'raypher-audit-'));
    db = await openRaypherDb(join(dir, 'raypher.db'));
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('chains appends and verifies', async () => {
    const ledger = new AuditLedger(db, 'test');
    for (let i = 0; i < 5; i++) await ledger.append('worker.started', { worker: 'vault', i });
    const result = await verifyLedger(db);
    expect(result).toMatchObject({ ok: true, rows: 5, firstBroken: null });
  });

  it('keeps one chain when two connections append concurrently', async () => {
    const other = await openRaypherDb(db.file);
    const a = new AuditLedger(db, 'a');
    const b = new AuditLedger(other, 'b');
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).append('worker.ready', { i })));
    await other.close();
    expect(await verifyLedger(db)).toMatchObject({ ok: true, rows: 20 });
  });

  it('refuses UPDATE and DELETE on events', async () => {
    await new AuditLedger(db, 't').append('worker.started', {});
    await expect(db.run("UPDATE events SET body = '{}'")).rejects.toThrow(/append-only/);
    await expect(db.run('DELETE FROM events')).rejects.toThrow(/append-only/);
  });

  it('names the first altered row', async () => {
    const ledger = new AuditLedger(db, 't');
    for (let i = 0; i < 4; i++) await ledger.append('worker.started', { i });
    await db.exec('DROP TRIGGER events_no_update');
    await db.run(`UPDATE events SET body = replace(body, '"i":2', '"i":9') WHERE seq = 3`);
    expect(await verifyLedger(db)).toMatchObject({ ok: false, firstBroken: { seq: 3 } });
  });

  it('names a deleted row', async () => {
    const ledger = new AuditLedger(db, 't');
    for (let i = 0; i < 4; i++) await ledger.append('worker.started', { i });
    await db.exec('DROP TRIGGER events_no_delete');
    await db.run('DELETE FROM events WHERE seq = 2');
    expect(await verifyLedger(db)).toMatchObject({ ok: false, firstBroken: { seq: 2 } });
  });
});
