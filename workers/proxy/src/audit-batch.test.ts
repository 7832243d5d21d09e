import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLedger, openRaypherDb, verifyLedger, type Db } from '@raypher/shared/db';
import type { Logger } from '@raypher/shared/logging';
import { AuditBatcher, JOURNAL_DIR_NAME } from './audit-batch.js';
import { JournalDir } from './audit-journal.js';
import { replayJournals } from './audit-replay.js';

const quiet = { info() {}, warn() {}, error() {} } as unknown as Logger;
/** Completions are journaled once per event-loop turn. */
const turn = () => new Promise((r) => setImmediate(r));

describe('audit journal', () => {
  let dir: string;
  let db: Db;
  let ledger: AuditLedger;
  const journalDir = () => join(dir, JOURNAL_DIR_NAME);
  const journalText = () => readdirSync(journalDir()).map((f) => readFileSync(join(journalDir(), f), 'utf8')).join('');
  const rows = async (type: string) => (await db.all<{ body: string }>('SELECT body FROM events WHERE type = ? ORDER BY seq', [type])).map((r) => (JSON.parse(r.body) as { data: Record<string, unknown> }).data);
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'raypher-journal-'));
    db = await openRaypherDb(join(dir, 'raypher.db'));
    ledger = new AuditLedger(db, 'proxy');
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a begun key use to a 0600 file before begin returns, with no fold', async () => {
    const audit = await AuditBatcher.open(db, ledger, quiet);
    audit.begin('r1', { request_id: 'r1', provider: 'openai' });
    expect(journalText()).toContain('"id":"r1"');
    const [file] = readdirSync(journalDir());
    expect((await import('node:fs')).statSync(join(journalDir(), file as string)).mode & 0o777).toBe(0o600);
    expect(await rows('proxy.request')).toEqual([]);
  });

  it('journals the completions of one turn in one write, before what each of them gates runs', async () => {
    const audit = await AuditBatcher.open(db, ledger, quiet);
    audit.begin('a', { request_id: 'a' });
    audit.begin('b', { request_id: 'b' });
    const seen: string[] = [];
    audit.complete('a', { status: 200 }, () => seen.push(journalText()));
    audit.complete('b', { status: 200 }, () => seen.push(journalText()));
    expect(journalText()).not.toContain('"k":"c"');
    await turn();
    expect(seen).toHaveLength(2);
    for (const text of seen) expect(text.match(/"k":"c"/g)).toHaveLength(2);
  });

  it('replays a killed proxy’s journal: completed, incomplete and denied rows, each once, then removes it', async () => {
    // A "killed" proxy: records journaled, nothing folded.
    const dead = await AuditBatcher.open(db, ledger, quiet);
    dead.begin('done', { request_id: 'done', provider: 'openai' });
    dead.complete('done', { status: 200 });
    dead.begin('cut', { request_id: 'cut', provider: 'openai' });
    dead.add('proxy.denied', { request_id: 'den', reason: 'not_listed' });
    await turn();
    const saved = mkdtempSync(join(tmpdir(), 'raypher-journal-copy-'));
    cpSync(journalDir(), saved, { recursive: true });

    const counts = await replayJournals(new JournalDir(journalDir()), db, ledger, () => false);
    expect(counts).toMatchObject({ files: 1, records: 4, rows_written: 3, already_present: 0, incomplete: 1 });
    const requests = await rows('proxy.request');
    expect(requests.map((r) => [r.request_id, r.status, r.incomplete ?? false])).toEqual([['done', 200, false], ['cut', null, true]]);
    expect((await rows('proxy.denied')).map((r) => r.request_id)).toEqual(['den']);
    expect(await rows('audit.replayed')).toHaveLength(1);
    expect(readdirSync(journalDir())).toEqual([]);

    // The same journal again (a crash after the commit, before the file was removed): nothing written twice.
    cpSync(saved, journalDir(), { recursive: true });
    const again = await replayJournals(new JournalDir(journalDir()), db, ledger, () => false);
    expect(again).toMatchObject({ rows_written: 0, already_present: 3 });
    expect(await rows('proxy.request')).toHaveLength(2);
    expect(await rows('audit.replayed')).toHaveLength(1);
    expect((await verifyLedger(db)).ok).toBe(true);
    rmSync(saved, { recursive: true, force: true });
  });

  it('leaves the journal of a proxy that is still alive (a swap in progress)', async () => {
    const other = new JournalDir(journalDir(), 999_999);
    other.rotate();
    other.append({ k: 'b', id: 'r', at: new Date().toISOString(), d: { request_id: 'r' } });
    const counts = await replayJournals(new JournalDir(journalDir()), db, ledger, (pid) => pid === 999_999);
    expect(counts).toMatchObject({ files: 0, skipped_live_files: 1, rows_written: 0 });
    expect(readdirSync(journalDir())).toHaveLength(1);
    other.close();
  });

  it('rotates: an open key use is carried over, a folded file is removed, and a crash after rotation loses nothing', async () => {
    const audit = await AuditBatcher.open(db, ledger, quiet, { rotateAtBytes: 1 });
    audit.begin('long', { request_id: 'long' });
    for (let i = 0; i < 3; i++) {
      audit.begin(`r${i}`, { request_id: `r${i}` });
      audit.complete(`r${i}`, { status: 200 });
      await audit.flush();
    }
    expect(readdirSync(journalDir())).toHaveLength(1); // older files folded and removed
    expect(journalText()).toContain('"id":"long"');
    audit.begin('late', { request_id: 'late' });
    audit.complete('late', { status: 201 }); // journaled, not folded: then the proxy "dies"
    await turn();
    const counts = await replayJournals(new JournalDir(journalDir()), db, ledger, () => false);
    expect(counts).toMatchObject({ rows_written: 2, incomplete: 1 });
    const requests = await rows('proxy.request');
    expect(requests.map((r) => r.request_id).sort()).toEqual(['late', 'long', 'r0', 'r1', 'r2']);
  });

  it('fails closed: a begin that cannot be journaled throws ERR_AUDIT_JOURNAL (the handler answers 503, no key used)', () => {
    const closed = new JournalDir(journalDir());
    expect(() => closed.append({ k: 'b', id: 'x', at: '', d: {} })).toThrow(expect.objectContaining({ code: 'ERR_AUDIT_JOURNAL' }));
  });
});
