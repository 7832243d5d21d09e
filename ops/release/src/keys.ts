// Ed25519 role keys on disk: <role>.key (PKCS#8 PEM, 0600) and <role>.pub; loading refuses keys others can read.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Key, Signature } from '@tufjs/models';
import { writeFileAtomic } from '@raypher/worker-updater/atomic-file';
import { detail, keysError } from './failures.js';
import { ROLES, type Role } from './expiry.js';

export interface RoleKey {
  readonly role: Role;
  readonly key: Key;
  /** Absent when only the public half is on this machine (root kept offline). */
  readonly privateKey: KeyObject | null;
}

export type KeySet = Partial<Record<Role, RoleKey>>;

/** TUF key from a raw Ed25519 public key; the keyid is sha256 of its canonical JSON. */
export function tufKey(publicKey: KeyObject): Key {
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const canonical = `{"keytype":"ed25519","keyval":{"public":"${raw}"},"scheme":"ed25519"}`;
  const keyID = createHash('sha256').update(canonical).digest('hex');
  return new Key({ keyID, keyType: 'ed25519', scheme: 'ed25519', keyVal: { public: raw } });
}

export function signer(roleKey: RoleKey): (data: Buffer) => Signature {
  const { privateKey } = roleKey;
  if (privateKey === null) throw keysError(`the ${roleKey.role} private key is not in the keys directory; bring ${roleKey.role}.key (mode 0600) to this machine to sign`);
  return (data) => new Signature({ keyID: roleKey.key.keyID, sig: sign(null, data, privateKey).toString('hex') });
}

export function generateKeys(dir: string): KeySet {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const existing = ROLES.filter((r) => existsSync(join(dir, `${r}.key`)));
  if (existing.length > 0) throw keysError(`${dir} already holds ${existing.map((r) => `${r}.key`).join(', ')}; refusing to overwrite signing keys (choose another --out)`);
  const set: KeySet = {};
  for (const role of ROLES) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    writeFileAtomic(join(dir, `${role}.key`), privateKey.export({ format: 'pem', type: 'pkcs8' }), 0o600);
    writeFileAtomic(join(dir, `${role}.pub`), publicKey.export({ format: 'pem', type: 'spki' }), 0o644);
    set[role] = { role, key: tufKey(publicKey), privateKey };
  }
  return set;
}

function loadRole(dir: string, role: Role): RoleKey | undefined {
  const privPath = join(dir, `${role}.key`);
  const pubPath = join(dir, `${role}.pub`);
  if (existsSync(privPath)) {
    const mode = statSync(privPath).mode & 0o777;
    if ((mode & 0o077) !== 0) throw keysError(`${privPath} has mode ${mode.toString(8)}; a signing key must be readable by its owner only (chmod 600 ${privPath})`);
    try {
      const privateKey = createPrivateKey(readFileSync(privPath));
      if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`it is a ${privateKey.asymmetricKeyType ?? 'unknown'} key`);
      return { role, key: tufKey(createPublicKey(privateKey)), privateKey };
    } catch (err) {
      throw keysError(`${privPath} is not an Ed25519 private key (${detail(err)}); regenerate with raypher-release keygen`, err);
    }
  }
  if (existsSync(pubPath)) {
    try {
      return { role, key: tufKey(createPublicKey(readFileSync(pubPath))), privateKey: null };
    } catch (err) {
      throw keysError(`${pubPath} is not an Ed25519 public key (${detail(err)})`, err);
    }
  }
  return undefined;
}

export function loadKeys(dir: string): KeySet {
  if (!existsSync(dir)) throw keysError(`keys directory ${dir} does not exist; create one with raypher-release keygen --out ${dir}`);
  const set: KeySet = {};
  for (const role of ROLES) {
    const k = loadRole(dir, role);
    if (k !== undefined) set[role] = k;
  }
  return set;
}

export function requireKey(set: KeySet, role: Role, dir: string): RoleKey {
  const k = set[role];
  if (k === undefined) throw keysError(`${dir} has no ${role} key (${role}.key); run raypher-release keygen, or point --keys at the directory that holds it`);
  return k;
}
