// Reads vault.db's fingerprint salt and sealed fingerprints (read-only, no secret): the scanner fingerprints a key it finds and says whether it is a sealed one.
import { existsSync } from 'node:fs';
import { Db } from '@raypher/shared/db';
import { fingerprint } from '@raypher/shared/vocab';

export interface SealedIndex {
  /** The vault's fingerprint of a value; null when the vault has no salt yet. */
  fingerprintOf(value: string): string | null;
  /** The provider a fingerprint was sealed for, or null. */
  sealedAs(fp: string): string | null;
}

export async function readSealedIndex(vaultDb: string): Promise<SealedIndex> {
  let salt: Buffer | null = null;
  const sealed = new Map<string, string>();
  if (existsSync(vaultDb)) {
    const db = await Db.open(vaultDb, { readOnly: true });
    try {
      const row = await db.get<{ value: Buffer }>(`SELECT value FROM meta WHERE key = 'fp_salt'`).catch(() => undefined);
      salt = row?.value ?? null;
      const rows = await db.all<{ provider: string; fingerprint: string }>('SELECT provider, fingerprint FROM secrets').catch(() => []);
      for (const r of rows) sealed.set(r.fingerprint, r.provider);
    } finally {
      await db.close();
    }
  }
  return {
    fingerprintOf: (value) => (salt ? fingerprint(salt, Buffer.from(value, 'utf8')) : null),
    sealedAs: (fp) => sealed.get(fp) ?? null,
  };
}
