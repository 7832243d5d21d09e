// The audit checkpoint signing key: Ed25519, sealed in vault.db under the data key like a provider key; the public key published.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { closeSync, constants, existsSync, fsyncSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_PUBLIC_KEY_FILE, checkpointMessage, keyIdOf, type CheckpointClaim } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';
import { zero } from './crypto.js';
import type { Keyring } from './keyring.js';
import type { VaultStore } from './store.js';

/**
 * Where versions before the key was sealed kept it (PEM, PKCS#8, 0600 beside raypher.db). Read once, sealed into
 * vault.db, then deleted.
 */
export const LEGACY_SIGNING_KEY_FILE = 'audit-signing.key';

export interface SignerSource {
  keyring: Keyring;
  store: VaultStore;
  dataDir: string;
  uid: number;
}

/** How the key was found: sealed already, moved in from the old key file, or made now. */
export type SignerOrigin = 'sealed' | 'migrated' | 'created';

export interface OpenedSigner {
  signer: CheckpointSigner;
  origin: SignerOrigin;
  /** A key file left beside a sealed key that is not the same key: ignored (the sealed key signs), left for the operator. */
  strayFile: string | null;
}

export class CheckpointSigner {
  readonly keyId: string;

  private constructor(private readonly privateKey: KeyObject, readonly publicKey: KeyObject) {
    this.keyId = keyIdOf(publicKey);
  }

  /** Opens the sealed key (migrating the old key file, or making a key, on first start) and (re)publishes its public key. Needs an unlocked vault. */
  static async open(src: SignerSource): Promise<OpenedSigner> {
    const legacyPath = join(src.dataDir, LEGACY_SIGNING_KEY_FILE);
    const sealed = await src.keyring.openSealed('audit_signing_key');
    let privateKey: KeyObject;
    let origin: SignerOrigin;
    let strayFile: string | null = null;
    if (sealed) {
      privateKey = fromDer(sealed);
      origin = 'sealed';
      // A migration cut between its commit and the unlink leaves the same key in the file: finish it.
      const leftover = existsSync(legacyPath) ? readLegacyKey(legacyPath, src.uid, { checked: false }) : null;
      if (leftover && sameKey(leftover, privateKey)) removeLegacy(legacyPath);
      else if (existsSync(legacyPath)) strayFile = legacyPath;
    } else {
      const legacy = readLegacyKey(legacyPath, src.uid, { checked: true });
      privateKey = legacy ?? generateKeyPairSync('ed25519').privateKey;
      origin = legacy ? 'migrated' : 'created';
      const der = privateKey.export({ type: 'pkcs8', format: 'der' });
      try {
        await src.store.db.transaction((tx) => src.keyring.writeSealed(tx, 'audit_signing_key', der));
      } finally {
        zero(der);
      }
      // Only once the sealed copy is committed: a crash before this line leaves both, and the next start removes the file.
      if (legacy) removeLegacy(legacyPath);
    }
    const publicKey = createPublicKey(privateKey);
    publish(join(src.dataDir, AUDIT_PUBLIC_KEY_FILE), publicKey.export({ type: 'spki', format: 'pem' }).toString());
    return { signer: new CheckpointSigner(privateKey, publicKey), origin, strayFile };
  }

  sign(claim: CheckpointClaim): { key_id: string; signature: string } {
    return { key_id: this.keyId, signature: sign(null, checkpointMessage(claim), this.privateKey).toString('base64') };
  }
}

function fail(path: string, why: string, fix: string): RaypherError {
  return new RaypherError('ERR_AUDIT_CHECKPOINT', `audit signing key ${path} ${why}; ${fix}`);
}

function fromDer(der: Buffer): KeyObject {
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    zero(der);
  }
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  return keyIdOf(createPublicKey(a)) === keyIdOf(createPublicKey(b));
}

/**
 * The old key file, if there is one. Checked (type, mode, owner, contents) before it is migrated: a key others could
 * read is refused. Unchecked (a leftover beside a sealed key), anything that is not a readable key is null.
 */
function readLegacyKey(path: string, uid: number, { checked }: { checked: boolean }): KeyObject | null {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return null;
  }
  if (!checked && !st.isFile()) return null;
  if (!st.isFile()) throw fail(path, 'is not a regular file', 'remove it (a new key is made and sealed in vault.db; older checkpoints then need the old public key)');
  if (checked && (st.mode & 0o777) !== 0o600) throw fail(path, `has mode ${(st.mode & 0o777).toString(8)}, not 600, so it is not moved into vault.db`, `check who could have read it (whoever did can forge checkpoints); then remove it to start a new key, or run 'chmod 600 ${path}' to keep it`);
  if (checked && st.uid !== uid) throw fail(path, `is owned by uid ${st.uid}, not the service user (uid ${uid})`, `run 'chown ${uid} ${path}'`);
  const pem = readFileSync(path);
  try {
    return createPrivateKey(pem);
  } catch (err) {
    if (!checked) return null;
    throw fail(path, `cannot be read as a key (${(err as Error).message})`, 'restore it from a backup, or remove it to start a new key');
  } finally {
    zero(pem);
  }
}

function removeLegacy(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(path, `was sealed into vault.db but cannot be removed (${(err as NodeJS.ErrnoException).code})`, `remove it by hand`);
  }
}

/** The public key file, rewritten only when it differs (write temp, fsync, rename: a crash leaves the old file or the new one). */
function publish(path: string, pem: string): void {
  let published: string | null = null;
  try {
    published = readFileSync(path, 'utf8');
  } catch {
    published = null;
  }
  if (published === pem) return;
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
