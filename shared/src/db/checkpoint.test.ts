import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLedger, appendCheckpoint, checkpointMessage, exportLines, keyIdOf, ledgerHead, openRaypherDb, parseExport, readAudit, verifyAudit, type Db } from './index.js';

describe('signed audit checkpoints', () => {
  let dir: string;
  let db: Db;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const checkpointNow = async (key = privateKey, ts = new Date().toISOString()) => {
    const head = (await ledgerHead(db)) ?? { seq: 0, hash: '0'.repeat(64) };
    const claim = { seq: head.seq, head_hash: head.hash, ts };
    await appendCheckpoint(db, { ...claim, key_id: keyIdOf(publicKey), signature: sign(null, checkpointMessage(claim), key).toString('base64') });
  };
  const appendN = async (n: number) => {
    const ledger = new AuditLedger(db, 't');
    for (let i = 0; i < n; i++) await ledger.append('worker.started', { i });
  };
  const verifyNow = async () => verifyAudit(await readAudit(db), publicKey);
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'raypher-checkpoint-'));
    db = await openRaypherDb(join(dir, 'raypher.db'));
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies a chain with checkpoints and reports the newest one’s age and the rows after it', async () => {
    await appendN(3);
    await checkpointNow(privateKey, new Date(Date.now() - 90_000).toISOString());
    await appendN(2);
    const r = await verifyNow();
    expect(r).toMatchObject({ ok: true, code: null, rows: 5, checkpoints: { ok: true, count: 1, newest: { seq: 3 }, rows_after_newest: 2 } });
    expect(r.checkpoints.newest?.age_secs).toBeGreaterThanOrEqual(89);
  });

  it('detects a cut tail below a checkpoint (the chain alone still verifies)', async () => {
    await appendN(5);
    await checkpointNow();
    await db.exec('DROP TRIGGER events_no_delete');
    await db.run('DELETE FROM events WHERE seq > 3');
    const r = await verifyNow();
    expect(r.firstBroken).toBeNull(); // what verify saw before checkpoints: OK
    expect(r).toMatchObject({ ok: false, code: 'ERR_AUDIT_CHECKPOINT', checkpoints: { firstBad: { seq: 5 } } });
    expect(r.checkpoints.firstBad?.reason).toMatch(/ends at row 3.*rows 4\.\.5 were cut from the tail/);
  });

  it('detects deleted rows re-chained below a checkpoint', async () => {
    await appendN(4);
    await checkpointNow();
    // The attacker deletes row 2 and rebuilds a valid chain 1..3 from the remaining bodies.
    const rows = await db.all<{ seq: number; body: string }>('SELECT seq, body FROM events ORDER BY seq');
    await db.exec('DROP TRIGGER events_no_delete');
    await db.run('DELETE FROM events');
    const kept = rows.filter((r) => r.seq !== 2).map((r) => JSON.parse(r.body) as { type: 'worker.started'; data: Record<string, unknown> });
    await new AuditLedger(db, 't').appendMany(kept);
    const r = await verifyNow();
    expect(r.firstBroken).toBeNull();
    expect(r).toMatchObject({ ok: false, code: 'ERR_AUDIT_CHECKPOINT' });
    expect(r.checkpoints.firstBad?.reason).toMatch(/ends at row 3/);
  });

  it('names a forged checkpoint (signed by another key, or altered)', async () => {
    await appendN(2);
    await checkpointNow(generateKeyPairSync('ed25519').privateKey);
    expect((await verifyNow()).checkpoints.firstBad?.reason).toMatch(/signature does not verify/);
  });

  it('an export verifies on its own, and an altered export does not', async () => {
    await appendN(3);
    await checkpointNow();
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const text = [...exportLines(await readAudit(db), pem)].join('\n');
    const parsed = parseExport(text, 'export');
    expect(verifyAudit(parsed, publicKey)).toMatchObject({ ok: true, rows: 3, checkpoints: { count: 1 } });
    const cut = text.split('\n').filter((l) => !l.includes('"seq":3,"body"')).join('\n');
    expect(verifyAudit(parseExport(cut, 'export'), publicKey)).toMatchObject({ ok: false, code: 'ERR_AUDIT_CHECKPOINT' });
  });

  it('fails rows with no checkpoint when a public key is known (checkpoints deleted), and passes them without a key', async () => {
    await appendN(3);
    const r = await verifyNow();
    expect(r).toMatchObject({ ok: false, code: 'ERR_AUDIT_CHECKPOINT', checkpoints: { count: 0, firstBad: null } });
    expect(r.checkpoints.problem).toMatch(/3 rows but no signed checkpoint.*deleted.*vault never signed one/);
    expect(verifyAudit(await readAudit(db), null)).toMatchObject({ ok: true, checkpoints: { problem: null } });
  });

  it('an empty ledger with no checkpoint passes', async () => {
    expect(await verifyNow()).toMatchObject({ ok: true, checkpoints: { count: 0, problem: null } });
  });

  it('maxAgeSecs fails a newest checkpoint older than it, naming the age', async () => {
    await appendN(2);
    await checkpointNow(privateKey, new Date(Date.now() - 120_000).toISOString());
    const snapshot = await readAudit(db);
    expect(verifyAudit(snapshot, publicKey, { maxAgeSecs: 300 })).toMatchObject({ ok: true, code: null });
    const old = verifyAudit(snapshot, publicKey, { maxAgeSecs: 60 });
    expect(old).toMatchObject({ ok: false, code: 'ERR_AUDIT_CHECKPOINT', checkpoints: { firstBad: null } });
    expect(old.checkpoints.problem).toMatch(/is 1[12]\d s old, over --max-age 60/);
  });
});
