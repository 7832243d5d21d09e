import { createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_PUBLIC_KEY_FILE, checkpointMessage, keyIdOf, publicKeyFromPem } from '@raypher/shared/db';
import { CheckpointSigner, LEGACY_SIGNING_KEY_FILE } from './checkpoint-signer.js';
import { Keyring } from './keyring.js';
import { Tpm2 } from './protectors/tpm2.js';
import { VaultStore } from './store.js';

describe('checkpoint signer', () => {
  let dir: string;
  const uid = process.getuid?.() ?? 0;
  const open: Array<{ store: VaultStore; keyring: Keyring }> = [];
  /** A host-protected vault in dir, opened as the vault worker opens it. */
  const vault = async () => {
    const store = await VaultStore.open(join(dir, 'vault.db'));
    const tpm = new Tpm2({ tcti: `device:${join(dir, 'no-tpm')}`, dir: join(dir, 'tpm'), pcrs: '' });
    const keyring = new Keyring({ store, tpm, hostKeyPath: join(dir, 'host.key'), uid, configuredProtector: 'host' });
    await keyring.open();
    open.push({ store, keyring });
    return { store, keyring, dataDir: dir, uid };
  };
  const closeAll = async () => {
    for (const v of open.splice(0)) {
      v.keyring.close();
      await v.store.close();
    }
  };
  const published = () => publicKeyFromPem(readFileSync(join(dir, AUDIT_PUBLIC_KEY_FILE), 'utf8'));
  const claim = { seq: 7, head_hash: 'ab'.repeat(32), ts: new Date().toISOString() };
  const verifies = (signer: CheckpointSigner) => verify(null, checkpointMessage(claim), published(), Buffer.from(signer.sign(claim).signature, 'base64'));
  const legacyPem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'raypher-signer-'))));
  afterEach(async () => {
    await closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes the key once, sealed in vault.db (no key file, nothing readable in the database), and signs what verify checks', async () => {
    const first = await CheckpointSigner.open(await vault());
    expect(first.origin).toBe('created');
    expect(existsSync(join(dir, LEGACY_SIGNING_KEY_FILE))).toBe(false);
    expect(verifies(first.signer)).toBe(true);
    expect(verify(null, checkpointMessage({ ...claim, seq: 6 }), published(), Buffer.from(first.signer.sign(claim).signature, 'base64'))).toBe(false);
    await closeAll();
    const again = await CheckpointSigner.open(await vault());
    expect(again).toMatchObject({ origin: 'sealed', signer: { keyId: first.signer.keyId } });
  });

  it('moves an existing key file into vault.db, deletes the file, and keeps signing with the same key', async () => {
    const pem = legacyPem();
    writeFileSync(join(dir, LEGACY_SIGNING_KEY_FILE), pem, { mode: 0o600 });
    const expectedId = keyIdOf(createPublicKey(pem));
    const migrated = await CheckpointSigner.open(await vault());
    expect(migrated).toMatchObject({ origin: 'migrated', signer: { keyId: expectedId } });
    expect(existsSync(join(dir, LEGACY_SIGNING_KEY_FILE))).toBe(false);
    await closeAll();
    // Only ciphertext is left on disk: the key's 32-byte seed (the end of its PKCS#8 DER) is in no file.
    const seed = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' }).subarray(-32);
    expect(readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile() && readFileSync(join(dir, f)).includes(seed))).toEqual([]);
    expect((await CheckpointSigner.open(await vault())).signer.keyId).toBe(expectedId);
  });

  it('finishes a migration cut before the unlink, and ignores (keeps) a key file that is not the sealed key', async () => {
    const pem = legacyPem();
    writeFileSync(join(dir, LEGACY_SIGNING_KEY_FILE), pem, { mode: 0o600 });
    await CheckpointSigner.open(await vault());
    writeFileSync(join(dir, LEGACY_SIGNING_KEY_FILE), pem, { mode: 0o600 }); // as if the process died before unlink
    await closeAll();
    expect(await CheckpointSigner.open(await vault())).toMatchObject({ origin: 'sealed', strayFile: null });
    expect(existsSync(join(dir, LEGACY_SIGNING_KEY_FILE))).toBe(false);
    writeFileSync(join(dir, LEGACY_SIGNING_KEY_FILE), legacyPem(), { mode: 0o600 });
    await closeAll();
    const planted = await CheckpointSigner.open(await vault());
    expect(planted.strayFile).toBe(join(dir, LEGACY_SIGNING_KEY_FILE));
    expect(verifies(planted.signer)).toBe(true);
  });

  it('refuses to migrate a key file others can read', async () => {
    writeFileSync(join(dir, LEGACY_SIGNING_KEY_FILE), legacyPem(), { mode: 0o644 });
    await expect(CheckpointSigner.open(await vault())).rejects.toMatchObject({ code: 'ERR_AUDIT_CHECKPOINT' });
    expect(existsSync(join(dir, LEGACY_SIGNING_KEY_FILE))).toBe(true);
  });

  it('keeps the key through a data key rotation, and opens nothing in a locked vault', async () => {
    const v = await vault();
    const { signer } = await CheckpointSigner.open(v);
    await v.keyring.rotate(async () => 0);
    expect((await CheckpointSigner.open(v)).signer.keyId).toBe(signer.keyId);
    await closeAll();
    expect((await CheckpointSigner.open(await vault())).signer.keyId).toBe(signer.keyId);
    v.keyring.close();
    await expect(CheckpointSigner.open(v)).rejects.toMatchObject({ code: 'ERR_VAULT_LOCKED' });
  });

  it('republishes a replaced public key from the sealed key', async () => {
    const { signer } = await CheckpointSigner.open(await vault());
    writeFileSync(join(dir, AUDIT_PUBLIC_KEY_FILE), 'replaced');
    await closeAll();
    expect((await CheckpointSigner.open(await vault())).signer.keyId).toBe(signer.keyId);
    expect(verifies(signer)).toBe(true);
  });
});
