// Signed checkpoints end to end (issue 9): the vault signs the ledger's head on a timer; raypherctl audit verify
// detects a cut tail and a forged checkpoint, names them, reports the newest checkpoint's age; exports verify.
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_PUBLIC_KEY_FILE, Db, keyIdOf, publicKeyFromPem, readCheckpoints } from '@raypher/shared/db';
import { ctl, Daemon, killAll, makeHome, waitFor } from '../helpers/daemon.js';

afterEach(killAll);

const dbOf = (home: string) => join(home, 'data', 'raypher.db');
/** Where versions before the key was sealed in vault.db kept the signing key. */
const LEGACY_KEY_FILE = 'audit-signing.key';

/** A copy of a stopped daemon's audit state (database + published key) in a new home, to tamper with. */
function copyHome(home: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'raypher-audit-copy-'));
  mkdirSync(join(copy, 'data'));
  for (const f of ['raypher.db', 'raypher.db-wal', 'raypher.db-shm', AUDIT_PUBLIC_KEY_FILE]) if (existsSync(join(home, 'data', f))) copyFileSync(join(home, 'data', f), join(copy, 'data', f));
  return copy;
}

async function tamper(home: string, sql: string[]): Promise<void> {
  const db = await Db.open(dbOf(home));
  try {
    for (const s of sql) await db.exec(s);
  } finally {
    await db.close();
  }
}

const verify = async (home: string, extra: string[] = []) => {
  const r = await ctl(home, ['audit', 'verify', '--json', ...extra]);
  return { code: r.code, report: JSON.parse(r.stdout) as { ok: boolean; code: string | null; rows: number; firstBroken: unknown; checkpoints: { count: number; firstBad: { seq: number; reason: string } | null; problem: string | null; newest: { seq: number; age_secs: number } | null } } };
};

describe('signed audit checkpoints', () => {
  let home: string;
  let newestSeq: number;
  /** The id of the key an older version left in data/audit-signing.key: the vault must keep signing with it. */
  let legacyKeyId: string;
  /** Checkpoints signed by the first vault process (before the restart). */
  let beforeRestart: number;

  /** Waits until a checkpoint newer than `after` covers the ledger's head; returns the head's seq. */
  const checkpointAtHead = (after: number) =>
    waitFor(async () => {
      const db = await Db.open(dbOf(home), { readOnly: true });
      try {
        const head = await db.get<{ seq: number }>('SELECT max(seq) AS seq FROM events');
        const cps = await readCheckpoints(db);
        return cps.length > after && cps.at(-1)?.seq === head?.seq ? head?.seq : undefined;
      } finally {
        await db.close();
      }
    }, 15_000, 'a checkpoint at the head');
  const checkpointCount = async () => {
    const db = await Db.open(dbOf(home), { readOnly: true });
    try {
      return (await readCheckpoints(db)).length;
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    home = makeHome({ audit: { checkpoint_interval_secs: 1 }, vault: { protector: 'host' } });
    // An upgrade: the version before kept the signing key in a 0600 file beside raypher.db.
    mkdirSync(join(home, 'data'), { mode: 0o700 });
    const legacy = generateKeyPairSync('ed25519');
    writeFileSync(join(home, 'data', LEGACY_KEY_FILE), legacy.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    legacyKeyId = keyIdOf(legacy.publicKey);
    const d = await Daemon.start(home);
    expect((await ctl(home, ['panic', '--reason', 'row for the test'])).code).toBe(0);
    await checkpointAtHead(1);
    // A vault restart: the key comes back out of vault.db, not from a file.
    beforeRestart = await checkpointCount();
    expect((await ctl(home, ['restart', 'vault'])).code).toBe(0);
    await d.waitForAllRunning();
    expect((await ctl(home, ['panic', 'release'])).code).toBe(0);
    newestSeq = await checkpointAtHead(beforeRestart);
    await d.stop();
  }, 90_000);

  it('moves the signing key from its file into vault.db, keeps signing with it across a vault restart, and verify passes', async () => {
    expect(existsSync(join(home, 'data', LEGACY_KEY_FILE))).toBe(false);
    expect(readdirSync(join(home, 'data')).filter((f) => f.endsWith('.key') && f !== 'host.key')).toEqual([]);
    expect(publicKeyFromPem(readFileSync(join(home, 'data', AUDIT_PUBLIC_KEY_FILE), 'utf8'))).toBeDefined();
    const db = await Db.open(dbOf(home), { readOnly: true });
    const cps = await readCheckpoints(db);
    await db.close();
    expect(cps.length).toBeGreaterThan(beforeRestart);
    expect(new Set(cps.map((c) => c.key_id))).toEqual(new Set([legacyKeyId]));
    const { code, report } = await verify(home);
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, code: null, checkpoints: { count: cps.length, firstBad: null, newest: { seq: newestSeq } } });
    expect(report.checkpoints.newest?.age_secs).toEqual(expect.any(Number));
    expect((await ctl(home, ['audit', 'verify'])).stdout).toMatch(/newest covers row \d+, signed .* \(\d+ s ago\)/);
  });

  it('a cut tail below the newest checkpoint fails verify, naming the cut rows (the chain alone verifies)', async () => {
    const copy = copyHome(home);
    await tamper(copy, ['DROP TRIGGER events_no_delete', `DELETE FROM events WHERE seq > ${newestSeq - 2}`]);
    const { code, report } = await verify(copy);
    expect(code).toBe(1);
    expect(report.firstBroken).toBeNull();
    expect(report).toMatchObject({ ok: false, code: 'ERR_AUDIT_CHECKPOINT' });
    expect(report.checkpoints.firstBad?.reason).toContain(`rows ${newestSeq - 1}..${newestSeq} were cut from the tail`);
    expect((await ctl(copy, ['audit', 'verify'])).stdout).toMatch(/audit checkpoint FAILED \(ERR_AUDIT_CHECKPOINT\).*cut from the tail/);
  });

  it('a deleted row below a checkpoint fails verify, naming the row', async () => {
    const copy = copyHome(home);
    await tamper(copy, ['DROP TRIGGER events_no_delete', 'DELETE FROM events WHERE seq = 2']);
    const { code, report } = await verify(copy);
    expect(code).toBe(1);
    expect(report).toMatchObject({ ok: false, code: 'ERR_AUDIT_BROKEN', firstBroken: { seq: 2 } });
  });

  it('a forged checkpoint (bad signature) fails verify', async () => {
    const copy = copyHome(home);
    // The attacker cuts the tail and adds a checkpoint for the new head, without the vault's key.
    const db = await Db.open(dbOf(copy));
    const head = await db.get<{ seq: number; hash: string }>(`SELECT seq, hash FROM events WHERE seq = ${newestSeq - 2}`);
    const last = (await readCheckpoints(db)).at(-1);
    await db.close();
    await tamper(copy, ['DROP TRIGGER events_no_delete', `DELETE FROM events WHERE seq > ${newestSeq - 2}`, 'DROP TRIGGER audit_checkpoints_no_delete', 'DELETE FROM audit_checkpoints', `INSERT INTO audit_checkpoints (seq, head_hash, ts, key_id, signature) VALUES (${head?.seq}, '${head?.hash}', '${new Date().toISOString()}', '${last?.key_id}', '${last?.signature}')`]);
    const { code, report } = await verify(copy);
    expect(code).toBe(1);
    expect(report).toMatchObject({ ok: false, code: 'ERR_AUDIT_CHECKPOINT' });
    expect(report.checkpoints.firstBad?.reason).toMatch(/signature does not verify/);
  });

  it('rows with every checkpoint deleted fail verify while the public key is published, naming the cause and the fix', async () => {
    const copy = copyHome(home);
    await tamper(copy, ['DROP TRIGGER audit_checkpoints_no_delete', 'DELETE FROM audit_checkpoints']);
    const { code, report } = await verify(copy);
    expect(code).toBe(1);
    expect(report).toMatchObject({ ok: false, code: 'ERR_AUDIT_CHECKPOINT', firstBroken: null, checkpoints: { count: 0, firstBad: null } });
    expect(report.checkpoints.problem).toMatch(/rows but no signed checkpoint.*were deleted.*vault never signed one.*raypherctl vault status/);
    expect((await ctl(copy, ['audit', 'verify'])).stdout).toMatch(/audit checkpoints FAILED \(ERR_AUDIT_CHECKPOINT\): the ledger has \d+ rows but no signed checkpoint/);
    // A key kept off the machine catches it too, after the published copy is deleted as well.
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'raypher-key-')), 'audit.pub');
    copyFileSync(join(copy, 'data', AUDIT_PUBLIC_KEY_FILE), elsewhere);
    rmSync(join(copy, 'data', AUDIT_PUBLIC_KEY_FILE));
    expect((await verify(copy, ['--public-key', elsewhere])).report).toMatchObject({ ok: false, code: 'ERR_AUDIT_CHECKPOINT' });
  });

  it('--max-age fails when the newest checkpoint is older, and passes when it is not', async () => {
    // The daemon is stopped: the newest checkpoint only gets older.
    await waitFor(async () => ((await verify(home)).report.checkpoints.newest?.age_secs ?? 0) >= 2 || undefined, 10_000, 'a checkpoint 2 s old');
    const stale = await verify(home, ['--max-age', '1']);
    expect(stale.code).toBe(1);
    expect(stale.report).toMatchObject({ ok: false, code: 'ERR_AUDIT_CHECKPOINT', firstBroken: null, checkpoints: { firstBad: null } });
    expect(stale.report.checkpoints.problem).toMatch(/newest checkpoint \(row \d+, signed .*\) is \d+ s old, over --max-age 1: checkpoints stopped/);
    expect((await ctl(home, ['audit', 'verify', '--max-age', '1'])).stdout).toMatch(/audit checkpoints FAILED \(ERR_AUDIT_CHECKPOINT\).*over --max-age 1/);
    expect(await verify(home, ['--max-age', '3600'])).toMatchObject({ code: 0, report: { ok: true } });
    const bad = await ctl(home, ['audit', 'verify', '--max-age', 'soon']);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringContaining('ERR_CLI_INPUT: --max-age takes a whole number of seconds')]);
  });

  it('an export carries rows, checkpoints and the public key, and verifies away from the machine', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'raypher-export-')), 'audit.jsonl');
    expect((await ctl(home, ['audit', 'export', '--out', out])).code).toBe(0);
    const elsewhere = mkdtempSync(join(tmpdir(), 'raypher-elsewhere-'));
    const { code, report } = await verify(elsewhere, ['--from', out, '--public-key', join(home, 'data', AUDIT_PUBLIC_KEY_FILE)]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, checkpoints: { newest: { seq: newestSeq } } });
    // The same export with its tail cut below the newest checkpoint no longer verifies.
    const cut = join(elsewhere, 'cut.jsonl');
    const lines = readFileSync(out, 'utf8').split('\n').filter((l) => !l.startsWith('{"kind":"row"') || (JSON.parse(l) as { seq: number }).seq < newestSeq);
    writeFileSync(cut, lines.join('\n'));
    expect((await verify(elsewhere, ['--from', cut])).report).toMatchObject({ ok: false, code: 'ERR_AUDIT_CHECKPOINT' });
  });
});
