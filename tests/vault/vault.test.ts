// The vault against a real software TPM: round trips per protector, restarts, PCR policy and recovery,
// tampering, host key checks, crash during rotation, access control, and no key in any file.
import { chmodSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Db, readCheckpoints } from '@raypher/shared/db';
import { Control, PROTOCOL_VERSION } from '@raypher/shared/ipc';
import { auditEvents, ctl, Daemon, killAll, makeHome, waitFor, type ConfigTables } from '../helpers/daemon.js';
import { RawClient, requestsAsUid } from '../helpers/raw-client.js';
import { Swtpm } from '../helpers/swtpm.js';
import { canary, control, filesContaining, seal, sha, unsealHash } from './helpers.js';

let tpm: Swtpm;
const daemons: Daemon[] = [];
beforeEach(async () => {
  tpm = await Swtpm.start();
});
afterEach(async () => {
  for (const d of daemons.splice(0)) {
    expect(d.stdout + d.stderr).not.toMatch(/sk-canary-/);
  }
  await killAll();
  await tpm.stop();
});

async function startVault(vault: Record<string, string>, extra: ConfigTables = {}): Promise<{ home: string; d: Daemon }> {
  const home = makeHome({ vault: { tcti: tpm.tcti, ...vault }, ...extra });
  const d = await Daemon.start(home);
  daemons.push(d);
  return { home, d };
}

async function checkpointCount(home: string): Promise<number> {
  const db = await Db.open(join(home, 'data', 'raypher.db'), { readOnly: true });
  try {
    return (await readCheckpoints(db)).length;
  } finally {
    await db.close();
  }
}

const vaultWorker = async (d: Daemon) => (await d.status()).workers.find((w) => w.name === 'vault')!;

describe('vault', () => {
  it.each(['host', 'tpm2', 'host+tpm2'])('seals and unseals with protector %s, across vault and TPM restarts', async (protector) => {
    const key = canary();
    const { home, d } = await startVault({ protector });
    const sealed = await seal(home, 'openai', key);
    expect(sealed.code).toBe(0);
    expect(sealed.stdout).toMatch(/^Key sealed for provider 'openai' \(fp:[0-9a-f]{12}\)\n$/);
    expect(await unsealHash(home, 'openai')).toBe(sha(key));
    const status = JSON.parse((await ctl(home, ['vault', 'status', '--json'])).stdout);
    expect(status).toMatchObject({ state: 'unlocked', protector, tpmPresent: true, sealedKeys: 1, keyVersion: 1 });
    // /health agrees at once (it was one scrape behind), and the database size counts the WAL.
    const health = async () => (await (await fetch(`http://${(await d.status()).healthAddress}/health`)).json()) as { vault: { sealed_keys: number }; database: { db_size_bytes: number } };
    const onDisk = fileBytes(join(home, 'data', 'raypher.db')) + fileBytes(join(home, 'data', 'raypher.db-wal')); // before: the files only grow
    const h = await health();
    expect(h.vault.sealed_keys).toBe(1);
    expect(h.database.db_size_bytes).toBeGreaterThanOrEqual(onDisk);
    expect((await d.status()).siliconId).toMatch(/^tpm:[0-9a-f]{64}$/);

    expect((await ctl(home, ['restart', 'vault'])).code).toBe(0);
    await d.waitForAllRunning();
    expect(await unsealHash(home, 'openai')).toBe(sha(key));

    await tpm.restart();
    expect((await ctl(home, ['restart', 'vault'])).code).toBe(0);
    await d.waitForAllRunning();
    expect(await unsealHash(home, 'openai')).toBe(sha(key));
    expect((await d.status()).counts.sealed_keys).toBe(1);

    const list = JSON.parse((await ctl(home, ['secrets', '--json'])).stdout);
    expect(list).toEqual([expect.objectContaining({ provider: 'openai', fingerprint: expect.stringMatching(/^fp:/), keyVersion: 1 })]);
    expect((await ctl(home, ['secrets', 'rm', '--provider', 'openai'])).code).toBe(0);
    expect(await unsealHash(home, 'openai')).toBe('ERR_VAULT_NOT_FOUND');
    expect((await health()).vault.sealed_keys).toBe(0);

    const empty = await ctl(home, ['seal', '--provider', 'openai', '--from-stdin'], {}, '  \n');
    expect(empty.stderr).toContain('ERR_CLI_INPUT: refusing an empty value');
    const badName = await ctl(home, ['seal', '--provider', 'Open AI', '--from-stdin'], {}, key);
    expect(badName.code).toBe(2);
    const onArgv = await ctl(home, ['seal', '--provider', 'openai', key]);
    expect(onArgv.code).toBe(2);
    expect(onArgv.stderr.includes(key)).toBe(false);
    expect(onArgv.stderr).toContain('[REDACTED]');

    const audit = await auditEvents(home);
    const vaultRows = audit.filter((e) => e.type.startsWith('vault.'));
    expect(vaultRows.map((e) => e.type)).toEqual(['vault.sealed', 'vault.unsealed', 'vault.unsealed', 'vault.unsealed', 'vault.deleted']);
    for (const row of vaultRows) expect(row.data).toMatchObject({ provider: 'openai', caller: { uid: 0, pid: expect.any(Number) } });
    await d.stop();
    expect(filesContaining(home, key)).toEqual([]);
  });

  it('refuses protector tpm2 without a TPM, naming the setting', async () => {
    const home = makeHome({ vault: { protector: 'tpm2', tcti: 'swtpm:host=127.0.0.1,port=1' }, supervisor: { max_restarts: 1, backoff_base_ms: 10 } });
    const d = Daemon.spawn(home);
    daemons.push(d);
    const w = await waitFor(async () => {
      const v = await vaultWorker(d).catch(() => undefined);
      return v?.lastError ? v : undefined;
    }, 15_000, 'vault lastError');
    expect(w.lastError).toMatchObject({ code: 'ERR_VAULT_PROTECTOR', message: expect.stringContaining('[vault] protector = "tpm2" but no TPM answers') });
  });

  it('a changed PCR locks the vault with ERR_VAULT_PCR_MISMATCH; the recovery key re-wraps it', async () => {
    const key = canary();
    const { home, d } = await startVault({ protector: 'tpm2', pcrs: 'sha256:16' });
    expect((await seal(home, 'anthropic', key)).code).toBe(0);
    const init = await ctl(home, ['vault', 'init', '--recovery-key', '--json']);
    const { recoveryKey } = JSON.parse(init.stdout) as { recoveryKey: string };
    expect(recoveryKey).toMatch(/^([0-9a-f]{8}-){7}[0-9a-f]{8}$/);
    expect((await ctl(home, ['vault', 'init', '--recovery-key'])).stderr).toContain('already set up; pass --replace');

    const lockedCheckpoints = await waitFor(async () => (await checkpointCount(home)) || undefined, 10_000, 'the first checkpoint');
    expect((await tpm.tool('tpm2_pcrextend', [`16:sha256=${'00'.repeat(31)}01`])).code).toBe(0);
    expect((await ctl(home, ['restart', 'vault'])).code).toBe(0);
    await d.waitForAllRunning();
    const locked = await ctl(home, ['unseal', '--provider', 'anthropic', '--yes']);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/ERR_VAULT_PCR_MISMATCH: .*raypherctl vault recover/);
    const status = await ctl(home, ['vault', 'status', '--json']);
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'locked', lastError: { code: 'ERR_VAULT_PCR_MISMATCH' } });

    const wrong = await ctl(home, ['vault', 'recover', '--from-stdin'], {}, `${'0'.repeat(8)}-`.repeat(7) + '0'.repeat(8));
    expect(wrong.stderr).toContain('ERR_VAULT_RECOVERY');
    // The checkpoint signing key is sealed under the data key: the locked vault signed none at its start; they resume on recovery.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await checkpointCount(home)).toBe(lockedCheckpoints);
    const recovered = await ctl(home, ['vault', 'recover', '--from-stdin'], {}, recoveryKey);
    expect(recovered.stdout).toContain('Vault recovered');
    expect(await unsealHash(home, 'anthropic')).toBe(sha(key));
    await waitFor(async () => (await checkpointCount(home)) > lockedCheckpoints || undefined, 10_000, 'a checkpoint after recovery');
    // The re-wrap is bound to the new PCR value: it survives a restart.
    expect((await ctl(home, ['restart', 'vault'])).code).toBe(0);
    await d.waitForAllRunning();
    const after = JSON.parse((await ctl(home, ['vault', 'status', '--json'])).stdout) as { state: string; lastError: unknown };
    expect(after).toMatchObject({ state: 'unlocked', lastError: null });
    expect(await unsealHash(home, 'anthropic')).toBe(sha(key));
    await d.stop();
    expect(filesContaining(home, key)).toEqual([]);
    expect(filesContaining(home, recoveryKey)).toEqual([]);
  });

  it('a flipped byte in one blob is ERR_VAULT_INTEGRITY for that provider only', async () => {
    const [a, b] = [canary(), canary()];
    const { home, d } = await startVault({ protector: 'host+tpm2' });
    await seal(home, 'openai', a);
    await seal(home, 'anthropic', b);
    await d.stop();
    const db = await Db.open(join(home, 'data', 'vault.db'));
    const row = await db.get<{ blob: Buffer }>("SELECT blob FROM secrets WHERE provider = 'openai'");
    const blob = Buffer.from(row!.blob);
    blob[3] = (blob[3] ?? 0) ^ 0x01;
    await db.run("UPDATE secrets SET blob = ? WHERE provider = 'openai'", [blob]);
    // A blob moved to another row fails too (AAD binds provider and id).
    await db.close();
    const d2 = await Daemon.start(home);
    daemons.push(d2);
    expect(await unsealHash(home, 'openai')).toBe('ERR_VAULT_INTEGRITY');
    expect(await unsealHash(home, 'anthropic')).toBe(sha(b));
    await d2.stop();
    const db2 = await Db.open(join(home, 'data', 'vault.db'));
    await db2.run("UPDATE secrets SET blob = (SELECT blob FROM secrets WHERE provider = 'anthropic'), nonce = (SELECT nonce FROM secrets WHERE provider = 'anthropic') WHERE provider = 'openai'");
    await db2.close();
    const d3 = await Daemon.start(home);
    daemons.push(d3);
    expect(await unsealHash(home, 'openai')).toBe('ERR_VAULT_INTEGRITY');
    await d3.stop();
  });

  it.each([
    ['missing', (p: string) => unlinkSync(p), /host key .*host\.key is missing; restore it from your backup/],
    ['world-readable', (p: string) => chmodSync(p, 0o644), /host key .*host\.key has mode 644, not 600; run 'chmod 600 .*host\.key'/],
  ])('refuses to start the vault when the host key is %s, with the path and the fix', async (_, breakIt, message) => {
    const { home, d } = await startVault({ protector: 'host' }, { supervisor: { max_restarts: 1, backoff_base_ms: 10 } });
    await seal(home, 'openai', canary());
    await d.stop();
    breakIt(join(home, 'data', 'host.key'));
    const d2 = Daemon.spawn(home);
    daemons.push(d2);
    const w = await waitFor(async () => {
      const v = await vaultWorker(d2).catch(() => undefined);
      return v?.state === 'failed' ? v : undefined;
    }, 15_000, 'vault failed');
    expect(w.lastError?.code).toBe('ERR_VAULT_HOST_KEY');
    expect(w.lastError?.message).toMatch(message);
    const others = (await d2.status()).workers.filter((x) => x.name !== 'vault');
    expect(others.every((x) => x.state === 'running')).toBe(true);
    const seal2 = await seal(home, 'openai', canary());
    expect(seal2.stderr).toContain('ERR_WORKER_NOT_RUNNING: the vault worker is failed; last error: ERR_VAULT_HOST_KEY');
  });

  it('kill -9 of the vault during rotate (repeated) leaves every key unsealable', async () => {
    const { home, d } = await startVault({ protector: 'host' }, { supervisor: { max_restarts: 50 } });
    const keys = new Map<string, string>();
    const c = await control(home);
    for (let i = 0; i < 150; i++) {
      const k = canary();
      keys.set(`p${i}`, k);
      await c.call(Control['vault.seal'], { provider: `p${i}`, secret: k });
    }
    c.close();
    const outcomes: string[] = [];
    for (let round = 0; round < 6; round++) {
      const pid = (await vaultWorker(d)).pid!;
      const cc = await control(home);
      const rotation = cc.call(Control['vault.rotate'], {}).then(
        () => 'completed',
        (e: { code: string }) => e.code,
      );
      await new Promise((r) => setTimeout(r, 2 + round * 8));
      process.kill(pid, 'SIGKILL');
      outcomes.push(await rotation);
      cc.close();
      await d.waitForAllRunning();
    }
    // The kills must land inside rotations, not only between them.
    expect(outcomes.filter((o) => o !== 'completed').length).toBeGreaterThan(0);
    const cv = await control(home);
    const version = (await cv.call(Control['vault.status'], {})).keyVersion;
    expect(version).toBeGreaterThanOrEqual(1);
    for (const [provider, k] of keys) {
      const r = await cv.call(Control['vault.unseal'], { provider, confirm: 'yes' });
      expect(sha(r.secret)).toBe(sha(k));
    }
    const rows = await cv.call(Control['vault.list'], {});
    expect(new Set(rows.secrets.map((s) => s.keyVersion))).toEqual(new Set([version]));
    cv.close();
    await d.stop();
  });

  it('keeps seal/unseal from non-admins and the vault socket from processes without the token', async () => {
    const nobody = 65534;
    const { home, d } = await startVault({ protector: 'host' }, { service: { socket_group: String(nobody) } });
    const key = canary();
    await seal(home, 'openai', key);
    const replies = await requestsAsUid(nobody, join(home, 'run', 'control.sock'), [
      { m: 'vault.seal', p: { provider: 'openai', secret: 'sk-attacker-000000000000000000' } },
      { m: 'vault.unseal', p: { provider: 'openai', confirm: 'yes' } },
      { m: 'vault.list', p: {} },
      { m: 'vault.rotate', p: {} },
    ]);
    expect(replies).toEqual([
      { id: 1, ok: true },
      { id: 2, ok: false, code: 'ERR_CONTROL_DENIED' },
      { id: 3, ok: false, code: 'ERR_CONTROL_DENIED' },
      { id: 4, ok: true },
      { id: 5, ok: false, code: 'ERR_CONTROL_DENIED' },
    ]);
    expect(await unsealHash(home, 'openai')).toBe(sha(key));

    const sock = join(home, 'run', 'vault.sock');
    let c = await RawClient.connect(sock);
    c.send({ t: 'req', id: 1, m: 'unseal', p: { provider: 'openai' } });
    expect(await c.next()).toMatchObject({ ok: false, e: { code: 'ERR_IPC_HANDSHAKE_REQUIRED' } });
    c.send({ t: 'req', id: 2, m: 'hello', p: { protocolVersion: PROTOCOL_VERSION, token: 'guess', client: 'x' } });
    expect(await c.next()).toMatchObject({ ok: false, e: { code: 'ERR_VAULT_DENIED' } });
    expect(await c.next()).toBeNull(); // and the connection is closed
    c = await RawClient.connect(sock);
    c.send({ t: 'req', id: 3, m: 'hello', p: { protocolVersion: PROTOCOL_VERSION, token: 'a'.repeat(64), client: 'x' } });
    expect(await c.next()).toMatchObject({ ok: false, e: { code: 'ERR_VAULT_DENIED' } });
    c.close();
    await d.stop();
    rmSync(join(home, 'run'), { recursive: true, force: true });
    expect(filesContaining(home, key)).toEqual([]);
  });
});

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
