// Recovery wrap: the data key sealed to an X25519 public key whose private half the operator keeps.
// The vault can re-wrap after every rotation without ever holding the recovery key itself.
import { createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { RaypherError } from '@raypher/shared/errors';
import { open, seal, type Sealed } from './crypto.js';

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export interface RecoveryWrap extends Sealed {
  /** The ephemeral public key (raw 32 bytes) of this wrap. */
  ephemeral: Buffer;
}

/** A new recovery key pair: the private half formatted for a human, the public half for the vault. */
export function generateRecoveryKey(): { display: string; publicRaw: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const raw = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_X25519_PREFIX.length);
  const display = raw.toString('hex').match(/.{8}/g)!.join('-');
  raw.fill(0);
  return { display, publicRaw: publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_X25519_PREFIX.length) };
}

function publicFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

function privateFromDisplay(display: string): KeyObject {
  const hex = display.trim().toLowerCase().replace(/[\s-]/g, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new RaypherError('ERR_VAULT_RECOVERY', 'the recovery key is malformed: expected 64 hex digits in groups of 8 (as printed by raypherctl vault init --recovery-key)');
  }
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, Buffer.from(hex, 'hex')]), format: 'der', type: 'pkcs8' });
}

function kek(shared: Buffer, ephemeralRaw: Buffer): Buffer {
  return createHash('sha256').update('raypher-recovery-kek-v1').update(shared).update(ephemeralRaw).digest();
}

export function wrapToRecovery(recipientRaw: Buffer, dek: Buffer, aad: string): RecoveryWrap {
  const eph = generateKeyPairSync('x25519');
  const ephemeral = eph.publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_X25519_PREFIX.length);
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: publicFromRaw(recipientRaw) });
  const key = kek(shared, ephemeral);
  try {
    return { ephemeral, ...seal(key, dek, aad) };
  } finally {
    shared.fill(0);
    key.fill(0);
  }
}

export function unwrapWithRecovery(display: string, wrap: RecoveryWrap, aad: string): Buffer {
  const shared = diffieHellman({ privateKey: privateFromDisplay(display), publicKey: publicFromRaw(wrap.ephemeral) });
  const key = kek(shared, wrap.ephemeral);
  try {
    return open(key, wrap, aad, 'recovery wrap');
  } catch {
    throw new RaypherError('ERR_VAULT_RECOVERY', 'this recovery key does not open the vault (wrong key, or the recovery key was replaced)');
  } finally {
    shared.fill(0);
    key.fill(0);
  }
}
