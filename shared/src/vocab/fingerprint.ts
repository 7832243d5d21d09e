// The key fingerprint the vault prints and the scanner compares: HMAC-SHA-256 under vault.db's fp_salt, 12 hex digits.
import { createHmac } from 'node:crypto';

/** A short, stable fingerprint of a secret that reveals nothing usable about it. */
export function fingerprint(salt: Buffer, secret: Buffer): string {
  return `fp:${createHmac('sha256', salt).update(secret).digest('hex').slice(0, 12)}`;
}
