// The data key (DEK): created at first start, wrapped by the protector (host / tpm2 / host+tpm2),
// unwrapped at start, re-wrapped by recovery, replaced by rotation. It never leaves this process.
import { randomBytes } from 'node:crypto';
import { RaypherError, isRaypherError } from '@raypher/shared/errors';
import type { VaultProtector } from '@raypher/shared/ipc';
import type { Db } from '@raypher/shared/db';
import { combineKeys, newKey, open, seal, zero } from './crypto.js';
import { createHostKey, loadHostKey } from './protectors/host-key.js';
import type { Tpm2 } from './protectors/tpm2.js';
import { unwrapWithRecovery, wrapToRecovery } from './recovery.js';
import type { MetaKey, VaultStore } from './store.js';

export interface KeyringOptions {
  store: VaultStore;
  tpm: Tpm2;
  hostKeyPath: string;
  uid: number;
  configuredProtector: 'auto' | VaultProtector;
}

const dekAad = (version: number, protector: string) => `raypher-dek-v1|${version}|${protector}`;
const recoveryAad = (version: number) => `raypher-dek-recovery-v1|${version}`;

/**
 * Values other than provider keys that the vault keeps sealed under the DEK in meta: the audit checkpoint
 * signing key. Opened with the DEK like a provider key, and re-sealed inside the same transaction by rotate.
 */
const SEALED_META = {
  audit_signing_key: { nonce: 'audit_signing_nonce', blob: 'audit_signing_blob' },
} as const satisfies Record<string, { nonce: MetaKey; blob: MetaKey }>;
export type SealedMetaName = keyof typeof SEALED_META;
const sealedMetaAad = (name: SealedMetaName, version: number) => `raypher-sealed-meta-v1|${name}|${version}`;

export class Keyring {
  private dek: Buffer | null = null;
  private wrapKey: Buffer | null = null;
  protector: VaultProtector | null = null;
  keyVersion = 0;
  tpmPresent = false;
  /** Why the vault is locked, when it is. */
  lastError: RaypherError | null = null;

  constructor(private readonly opts: KeyringOptions) {}

  get unlocked(): boolean {
    return this.dek !== null;
  }

  /** Creates or unlocks the DEK. Host key problems throw (the vault must not start); TPM problems lock it. */
  async open(): Promise<void> {
    this.tpmPresent = await this.opts.tpm.present();
    const stored = await this.opts.store.metaText('protector');
    if (stored === null) return this.initialize();
    this.protector = stored as VaultProtector;
    this.keyVersion = Number(await this.opts.store.metaText('key_version'));
    const host = this.protector === 'tpm2' ? null : loadHostKey(this.opts.hostKeyPath, this.opts.uid);
    try {
      const wrapKey = await this.deriveWrapKey(this.protector, host, () => retryTransient(() => this.opts.tpm.unseal()));
      const dek = open(wrapKey, await this.wrappedDek(), dekAad(this.keyVersion, this.protector), 'wrapped data key');
      this.unlock(dek, wrapKey);
    } catch (err) {
      if (!isRaypherError(err) || !['ERR_VAULT_PCR_MISMATCH', 'ERR_VAULT_TPM', 'ERR_VAULT_INTEGRITY'].includes(err.code)) throw err;
      this.lastError = err;
    } finally {
      zero(host);
    }
  }

  requireDek(): Buffer {
    if (this.dek) return this.dek;
    const why = this.lastError ? `${this.lastError.code}: ${this.lastError.message}` : 'the data key is not loaded';
    throw new RaypherError(this.lastError?.code === 'ERR_VAULT_PCR_MISMATCH' ? 'ERR_VAULT_PCR_MISMATCH' : 'ERR_VAULT_LOCKED', `the vault is locked (${why})`);
  }

  /** A value sealed in meta under the DEK (null when none is stored); the caller zeroes it. Throws when locked. */
  async openSealed(name: SealedMetaName): Promise<Buffer | null> {
    const dek = this.requireDek();
    const { nonce, blob } = SEALED_META[name];
    const [n, b] = await Promise.all([this.opts.store.meta(nonce), this.opts.store.meta(blob)]);
    if (!n || !b) return null;
    return open(dek, { nonce: n, blob: b }, sealedMetaAad(name, this.keyVersion), `sealed ${name} in vault.db`);
  }

  /** Seals value under the current DEK into meta, inside the caller's transaction. */
  async writeSealed(tx: Db, name: SealedMetaName, value: Buffer): Promise<void> {
    await this.writeSealedWith(tx, this.requireDek(), this.keyVersion, name, value);
  }

  async recoveryConfigured(): Promise<boolean> {
    return (await this.opts.store.meta('recovery_public')) !== null;
  }

  /** Stores a new recovery wrap of the current DEK; returns the recovery key for the operator, once. */
  async setRecovery(db: Db, publicRaw: Buffer): Promise<void> {
    const w = wrapToRecovery(publicRaw, this.requireDek(), recoveryAad(this.keyVersion));
    await this.opts.store.setMeta(db, 'recovery_public', publicRaw);
    await this.writeRecoveryWrap(db, w);
  }

  /** Opens the DEK with the recovery key and wraps it again with the current protector state (new PCRs, new TPM). */
  async recover(display: string): Promise<void> {
    const store = this.opts.store;
    const [ephemeral, nonce, blob] = await Promise.all([store.meta('recovery_ephemeral'), store.meta('recovery_nonce'), store.meta('recovery_blob')]);
    if (!ephemeral || !nonce || !blob) throw new RaypherError('ERR_VAULT_RECOVERY', 'no recovery key was set up for this vault (raypherctl vault init --recovery-key)');
    const dek = unwrapWithRecovery(display, { ephemeral, nonce, blob }, recoveryAad(this.keyVersion));
    const protector = this.protector ?? 'host';
    const host = protector === 'tpm2' ? null : loadHostKey(this.opts.hostKeyPath, this.opts.uid);
    try {
      const wrapKey = await this.deriveWrapKey(protector, host, async () => this.sealFreshTpmSecret());
      await store.db.transaction((tx) => this.writeWrappedDek(tx, wrapKey, dek, this.keyVersion, protector));
      this.unlock(dek, wrapKey);
    } finally {
      zero(host);
    }
  }

  /** Replaces the DEK: reencrypt(old, new, tx) rewrites every secret inside the same transaction. */
  async rotate(reencrypt: (oldDek: Buffer, newDek: Buffer, version: number, tx: Db) => Promise<number>): Promise<{ keyVersion: number; reencrypted: number }> {
    const oldDek = this.requireDek();
    const wrapKey = this.wrapKey as Buffer;
    const protector = this.protector as VaultProtector;
    const next = newKey();
    const version = this.keyVersion + 1;
    const recoveryPublic = await this.opts.store.meta('recovery_public');
    let count = 0;
    try {
      await this.opts.store.db.transaction(async (tx) => {
        count = await reencrypt(oldDek, next, version, tx);
        await this.resealMeta(tx, oldDek, next, version);
        await this.writeWrappedDek(tx, wrapKey, next, version, protector);
        if (recoveryPublic) await this.writeRecoveryWrap(tx, wrapToRecovery(recoveryPublic, next, recoveryAad(version)));
      });
    } catch (err) {
      zero(next);
      throw err;
    }
    zero(oldDek);
    this.dek = next;
    this.keyVersion = version;
    return { keyVersion: version, reencrypted: count };
  }

  close(): void {
    zero(this.dek, this.wrapKey);
    this.dek = null;
    this.wrapKey = null;
  }

  private async initialize(): Promise<void> {
    const protector = this.chooseProtector();
    const host = protector === 'tpm2' ? null : createOrLoadHostKey(this.opts.hostKeyPath, this.opts.uid);
    const dek = newKey();
    try {
      const wrapKey = await this.deriveWrapKey(protector, host, async () => this.sealFreshTpmSecret());
      await this.opts.store.db.transaction(async (tx) => {
        await this.opts.store.setMeta(tx, 'fp_salt', randomBytes(16));
        await this.writeWrappedDek(tx, wrapKey, dek, 1, protector);
      });
      this.protector = protector;
      this.keyVersion = 1;
      this.unlock(dek, wrapKey);
    } finally {
      zero(host);
    }
  }

  private chooseProtector(): VaultProtector {
    const wanted = this.opts.configuredProtector;
    if (wanted === 'auto') return this.tpmPresent ? 'host+tpm2' : 'host';
    if (wanted !== 'host' && !this.tpmPresent) {
      throw new RaypherError('ERR_VAULT_PROTECTOR', `[vault] protector = "${wanted}" but no TPM answers on the configured tcti; fix [vault] tcti or use protector = "host"`);
    }
    return wanted;
  }

  private async sealFreshTpmSecret(): Promise<Buffer> {
    const secret = newKey();
    await this.opts.tpm.sealNew(secret);
    return secret;
  }

  private async deriveWrapKey(protector: VaultProtector, host: Buffer | null, tpmSecret: () => Promise<Buffer>): Promise<Buffer> {
    if (protector === 'host') return Buffer.from(host as Buffer);
    const tpm = await tpmSecret();
    if (protector === 'tpm2') return tpm;
    try {
      return combineKeys(host as Buffer, tpm);
    } finally {
      zero(tpm);
    }
  }

  private async wrappedDek() {
    const [nonce, blob] = await Promise.all([this.opts.store.meta('dek_nonce'), this.opts.store.meta('dek_blob')]);
    if (!nonce || !blob) throw new RaypherError('ERR_VAULT_INTEGRITY', 'vault.db has no wrapped data key');
    return { nonce, blob };
  }

  private async writeWrappedDek(tx: Db, wrapKey: Buffer, dek: Buffer, version: number, protector: VaultProtector): Promise<void> {
    const w = seal(wrapKey, dek, dekAad(version, protector));
    const store = this.opts.store;
    await store.setMeta(tx, 'protector', protector);
    await store.setMeta(tx, 'key_version', String(version));
    await store.setMeta(tx, 'dek_nonce', w.nonce);
    await store.setMeta(tx, 'dek_blob', w.blob);
    await store.setMeta(tx, 'pcrs', this.opts.tpm.pcrs);
  }

  /** Re-seals every sealed meta value under the new DEK (rotate, same transaction). */
  private async resealMeta(tx: Db, oldDek: Buffer, newDek: Buffer, version: number): Promise<void> {
    for (const name of Object.keys(SEALED_META) as SealedMetaName[]) {
      const { nonce, blob } = SEALED_META[name];
      const [n, b] = await Promise.all([this.opts.store.meta(nonce, tx), this.opts.store.meta(blob, tx)]);
      if (!n || !b) continue;
      const value = open(oldDek, { nonce: n, blob: b }, sealedMetaAad(name, this.keyVersion), `sealed ${name} in vault.db`);
      try {
        await this.writeSealedWith(tx, newDek, version, name, value);
      } finally {
        zero(value);
      }
    }
  }

  private async writeSealedWith(tx: Db, dek: Buffer, version: number, name: SealedMetaName, value: Buffer): Promise<void> {
    const w = seal(dek, value, sealedMetaAad(name, version));
    await this.opts.store.setMeta(tx, SEALED_META[name].nonce, w.nonce);
    await this.opts.store.setMeta(tx, SEALED_META[name].blob, w.blob);
  }

  private async writeRecoveryWrap(tx: Db, w: { ephemeral: Buffer; nonce: Buffer; blob: Buffer }): Promise<void> {
    await this.opts.store.setMeta(tx, 'recovery_ephemeral', w.ephemeral);
    await this.opts.store.setMeta(tx, 'recovery_nonce', w.nonce);
    await this.opts.store.setMeta(tx, 'recovery_blob', w.blob);
  }

  private unlock(dek: Buffer, wrapKey: Buffer): void {
    zero(this.dek, this.wrapKey);
    this.dek = dek;
    this.wrapKey = wrapKey;
    this.lastError = null;
  }
}

/** TPM commands can fail transiently (busy chip, TPM_RC_RETRY, a slow start); a PCR mismatch is never retried. */
const TPM_ATTEMPTS = 3;
const TPM_RETRY_DELAY_MS = 300;

async function retryTransient<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= TPM_ATTEMPTS || !isRaypherError(err) || err.code !== 'ERR_VAULT_TPM') throw err;
      await new Promise((r) => setTimeout(r, TPM_RETRY_DELAY_MS * attempt));
    }
  }
}

function createOrLoadHostKey(path: string, uid: number): Buffer {
  try {
    return loadHostKey(path, uid);
  } catch (err) {
    if (isRaypherError(err) && /is missing/.test(err.message)) return createHostKey(path);
    throw err;
  }
}
