// The vault's operations: seal, unseal, list, delete, rotate, status, recovery. Values never leave as logs or audit.
import { RaypherError } from '@raypher/shared/errors';
import type { AuditLedger } from '@raypher/shared/db';
import type { Caller, SecretInfo, VaultStatus } from '@raypher/shared/ipc';
import type { Logger } from '@raypher/shared/logging';
import { fingerprint, open, seal, withBuffer } from './crypto.js';
import type { Keyring } from './keyring.js';
import { generateRecoveryKey } from './recovery.js';
import type { SecretRow, VaultStore } from './store.js';

const secretAad = (provider: string, id: number) => `raypher-secret-v1|${provider}|${id}`;

export interface VaultServiceDeps {
  store: VaultStore;
  keyring: Keyring;
  audit: AuditLedger;
  logger: Logger;
  settings(): { configuredProtector: string; tcti: string; pcrs: string };
  /** Tells connected proxies to drop cached keys (null = all). */
  invalidate(provider: string | null): void;
}

export type UnsealVia = 'raypherctl' | 'proxy';

export class VaultService {
  /**
   * Encrypted rows by provider. This process is the only writer of vault.db, so the cache is exact;
   * it holds ciphertext only (the DEK is in memory anyway) and saves a SQLite round trip per unseal.
   */
  private rows: Map<string, SecretRow> | null = null;

  constructor(private readonly d: VaultServiceDeps) {}

  async seal(provider: string, secret: string, caller: Caller): Promise<{ provider: string; fingerprint: string; created: boolean }> {
    const dek = this.d.keyring.requireDek();
    const salt = await this.salt();
    const plaintext = Buffer.from(secret, 'utf8');
    const result = await withBuffer(plaintext, (pt) => {
      const fp = fingerprint(salt, pt);
      return this.d.store.db.transaction(async (tx) => {
        const existing = await this.d.store.secret(provider, tx);
        const now = new Date().toISOString();
        let id = existing?.id;
        if (id === undefined) {
          const inserted = await tx.run('INSERT INTO secrets (provider, nonce, blob, key_version, fingerprint, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [provider, Buffer.alloc(0), Buffer.alloc(0), 0, fp, now, now]);
          id = inserted.lastID;
        }
        const sealed = seal(dek, pt, secretAad(provider, id));
        await tx.run('UPDATE secrets SET nonce = ?, blob = ?, key_version = ?, fingerprint = ?, updated_at = ? WHERE id = ?', [sealed.nonce, sealed.blob, this.d.keyring.keyVersion, fp, now, id]);
        return { provider, fingerprint: fp, created: existing === undefined };
      });
    });
    this.rows = null;
    await this.d.audit.append('vault.sealed', { provider, fingerprint: result.fingerprint, created: result.created, caller });
    this.d.invalidate(provider);
    return result;
  }

  /** Returns the plaintext key; operator unseals are audited here, proxy unseals by the proxy's request events. */
  async unseal(provider: string, caller: Caller, via: UnsealVia): Promise<string> {
    const dek = this.d.keyring.requireDek();
    const row = await this.requireRow(provider);
    const value = await withBuffer(open(dek, row, secretAad(provider, row.id), `secret for provider '${provider}'`), (pt) => pt.toString('utf8'));
    if (via === 'raypherctl') await this.d.audit.append('vault.unsealed', { provider, fingerprint: row.fingerprint, via, caller });
    return value;
  }

  async list(): Promise<SecretInfo[]> {
    return (await this.d.store.secrets()).map((r) => ({ provider: r.provider, fingerprint: r.fingerprint, keyVersion: r.key_version, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  async delete(provider: string, caller: Caller): Promise<void> {
    const row = await this.requireRow(provider);
    await this.d.store.db.run('DELETE FROM secrets WHERE id = ?', [row.id]);
    this.rows = null;
    await this.d.audit.append('vault.deleted', { provider, fingerprint: row.fingerprint, caller });
    this.d.invalidate(provider);
  }

  /** New DEK; every secret re-encrypted in one transaction, so a crash leaves the old or the new state. */
  async rotate(caller: Caller): Promise<{ keyVersion: number; reencrypted: number }> {
    this.rows = null;
    const result = await this.d.keyring.rotate(async (oldDek, newDek, version, tx) => {
      const rows = await this.d.store.secrets(tx);
      for (const row of rows) {
        const aad = secretAad(row.provider, row.id);
        const sealed = await withBuffer(open(oldDek, row, aad, `secret for provider '${row.provider}' (re-seal or delete it, then rotate again)`), (pt) => seal(newDek, pt, aad));
        await tx.run('UPDATE secrets SET nonce = ?, blob = ?, key_version = ? WHERE id = ?', [sealed.nonce, sealed.blob, version, row.id]);
      }
      return rows.length;
    }).finally(() => (this.rows = null));
    await this.d.audit.append('vault.rotated', { key_version: result.keyVersion, reencrypted: result.reencrypted, caller });
    this.d.invalidate(null);
    return result;
  }

  async status(): Promise<VaultStatus> {
    const k = this.d.keyring;
    const s = this.d.settings();
    return {
      state: k.unlocked ? 'unlocked' : 'locked',
      protector: k.protector,
      configuredProtector: s.configuredProtector,
      tpmPresent: k.tpmPresent,
      tcti: s.tcti,
      pcrs: s.pcrs,
      keyVersion: k.keyVersion,
      sealedKeys: await this.d.store.count(),
      recoveryConfigured: await k.recoveryConfigured(),
      lastError: k.lastError ? k.lastError.toWire() : null,
    };
  }

  async initRecovery(replace: boolean, caller: Caller): Promise<string> {
    this.d.keyring.requireDek();
    if (!replace && (await this.d.keyring.recoveryConfigured())) {
      throw new RaypherError('ERR_VAULT_RECOVERY', 'a recovery key is already set up; pass --replace to make a new one (the old one stops working)');
    }
    const { display, publicRaw } = generateRecoveryKey();
    await this.d.store.db.transaction((tx) => this.d.keyring.setRecovery(tx, publicRaw));
    await this.d.audit.append('vault.recovery_set', { replaced: replace, caller });
    return display;
  }

  async recover(recoveryKey: string, caller: Caller): Promise<{ protector: NonNullable<VaultStatus['protector']>; keyVersion: number }> {
    await this.d.keyring.recover(recoveryKey);
    await this.d.audit.append('vault.recovered', { protector: this.d.keyring.protector, caller });
    this.d.invalidate(null);
    return { protector: this.d.keyring.protector ?? 'host', keyVersion: this.d.keyring.keyVersion };
  }

  private async requireRow(provider: string): Promise<SecretRow> {
    this.rows ??= new Map((await this.d.store.secrets()).map((r) => [r.provider, r]));
    const row = this.rows.get(provider);
    if (!row) throw new RaypherError('ERR_VAULT_NOT_FOUND', `no key is sealed for provider '${provider}'; seal one with 'raypherctl seal --provider ${provider}'`);
    return row;
  }

  private async salt(): Promise<Buffer> {
    const salt = await this.d.store.meta('fp_salt');
    if (!salt) throw new RaypherError('ERR_VAULT_INTEGRITY', 'vault.db has no fingerprint salt');
    return salt;
  }
}
