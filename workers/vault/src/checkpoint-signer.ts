// The audit checkpoint signing key: Ed25519, generated once by the vault, 0600 beside vault.db; the public key published.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_PUBLIC_KEY_FILE, checkpointMessage, keyIdOf, type CheckpointClaim } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';

/** The private key's file name in the data directory (PEM, PKCS#8). Only the vault worker reads it. */
export const AUDIT_SIGNING_KEY_FILE = 'audit-signing.key';

export class CheckpointSigner {
  readonly keyId: string;

  private constructor(private readonly privateKey: KeyObject, readonly publicKey: KeyObject) {
    this.keyId = keyIdOf(publicKey);
  }

  /** Loads the signing key (creating it on first start) and (re)publishes its public key. */
  static load(dataDir: string, uid: number): CheckpointSigner {
    const path = join(dataDir, AUDIT_SIGNING_KEY_FILE);
    const privateKey = readKey(path, uid) ?? createKey(path);
    const publicKey = createPublicKey(privateKey);
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const pubPath = join(dataDir, AUDIT_PUBLIC_KEY_FILE);
    let published: string | null = null;
    try {
      published = readFileSync(pubPath, 'utf8');
    } catch {
      published = null;
    }
    if (published !== pem) writeAtomic(pubPath, pem, 0o644);
    return new CheckpointSigner(privateKey, publicKey);
  }

  sign(claim: CheckpointClaim): { key_id: string; signature: string } {
    return { key_id: this.keyId, signature: sign(null, checkpointMessage(claim), this.privateKey).toString('base64') };
  }
}

function fail(path: string, why: string, fix: string): RaypherError {
  return new RaypherError('ERR_AUDIT_CHECKPOINT', `audit signing key ${path} ${why}; ${fix}`);
}

function readKey(path: string, uid: number): KeyObject | null {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return null;
  }
  if (!st.isFile()) throw fail(path, 'is not a regular file', 'remove it (a new key is made; older checkpoints then need the old public key)');
  if ((st.mode & 0o777) !== 0o600) throw fail(path, `has mode ${(st.mode & 0o777).toString(8)}, not 600`, `run 'chmod 600 ${path}' and check who could have read it (whoever did can forge checkpoints)`);
  if (st.uid !== uid) throw fail(path, `is owned by uid ${st.uid}, not the service user (uid ${uid})`, `run 'chown ${uid} ${path}'`);
  try {
    return createPrivateKey(readFileSync(path));
  } catch (err) {
    throw fail(path, `cannot be read as a key (${(err as Error).message})`, 'restore it from a backup, or remove it to start a new key');
  }
}

function createKey(path: string): KeyObject {
  const { privateKey } = generateKeyPairSync('ed25519');
  writeAtomic(path, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
  return privateKey;
}

/** Write temp (exclusive, with its final mode), fsync, rename: a crash leaves the old file or the new one. */
function writeAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
