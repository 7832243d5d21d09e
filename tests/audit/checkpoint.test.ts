// Signed checkpoints end to end (issue 9): the vault signs the ledger's head on a timer; raypherctl audit verify
// detects a cut tail and a forged checkpoint, names them, reports the newest checkpoint's age; exports verify.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_PUBLIC_KEY_FILE, Db, readCheckpoints } from '@raypher/shared/db';
import { ctl, Daemon, killAll, makeHome, waitFor } from '../helpers/daemon.js';

afterEach(killAll);

const dbOf = (home: string) => join(home, 'data', 'raypher.db');

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
  return { code: r.code, report: JSON.parse(r.stdout) as { ok: boolean; code: string | null; rows: number; firstBroken: unknown; checkpoints: { count: number; firstBad: { seq: number; reason: string } | null; newest: { seq: number; age_secs: number } | null } } };
};

describe('signed audit checkpoints', () => {
  let home: string;
  let newestSeq: number;

  beforeAll(async () => {
    home = makeHome({ audit: { checkpoint_interval_secs: 1 }, vault: { protector: 'host' } });
    const d = await Daemon.start(home);
    expect((await ctl(home, ['panic', '--reason', 'row for the test'])).code).toBe(0);
    expect((await ctl(home, ['panic', 'release'])).code).toBe(0);
    // Wait until a checkpoint covers the head (the rows just written).
    newestSeq = await waitFor(async () => {
      const db = await Db.open(dbOf(home), { readOnly: true });
      try {
        const head = await db.get<{ seq: number }>('SELECT max(seq) AS seq FROM events');
        const cps = await readCheckpoints(db);
        return cps.length >= 2 && cps.at(-1)?.seq === head?.seq ? head?.seq : undefined;
      } finally {
        await db.close();
      }
    }, 15_000, 'a checkpoint at the head');
    await d.stop();
  }, 60_000);

  it('keeps the signing key 0600 with the vault and publishes the public key; verify passes and reports the age', async () => {
    expect(statSync(join(home, 'data', 'audit-signing.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(home, 'data', AUDIT_PUBLIC_KEY_FILE), 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
    const { code, report } = await verify(home);
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, code: null, checkpoints: { firstBad: null, newest: { seq: newestSeq } } });
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
