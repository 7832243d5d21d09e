// AES-256-GCM with a fresh nonce per write and AAD binding; helpers that zero key material after use.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { RaypherError } from '@raypher/shared/errors';

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealed {
  nonce: Buffer;
  /** ciphertext || 16-byte GCM tag */
  blob: Buffer;
}

export function seal(key: Buffer, plaintext: Buffer, aad: string): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const blob = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { nonce, blob };
}

/** Throws ERR_VAULT_INTEGRITY when the blob, nonce, AAD or key do not match. */
export function open(key: Buffer, sealed: Sealed, aad: string, what: string): Buffer {
  if (sealed.blob.length < TAG_BYTES || sealed.nonce.length !== NONCE_BYTES) {
    throw new RaypherError('ERR_VAULT_INTEGRITY', `${what}: stored blob is truncated`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.blob.subarray(sealed.blob.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.blob.subarray(0, sealed.blob.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new RaypherError('ERR_VAULT_INTEGRITY', `${what}: authentication failed (the stored blob was altered, moved, or the data key is wrong)`);
  }
}

export function newKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Combines the host key and the TPM secret for host+tpm2: SHA-256(host ‖ tpm). */
export function combineKeys(host: Buffer, tpm: Buffer): Buffer {
  return createHash('sha256').update(host).update(tpm).digest();
}

/** Moved to shared so the scanner computes the same fingerprint for a key it finds in an environment. */
export { fingerprint } from '@raypher/shared/vocab';

export function zero(...buffers: Array<Buffer | undefined | null>): void {
  for (const b of buffers) b?.fill(0);
}

/** Runs fn with a buffer and zeroes the buffer once fn has finished (awaited), whatever happens. */
export async function withBuffer<T>(buf: Buffer, fn: (b: Buffer) => T | Promise<T>): Promise<T> {
  try {
    return await fn(buf);
  } finally {
    buf.fill(0);
  }
}
