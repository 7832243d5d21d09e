// The vault's IPC surface: operator methods (forwarded by the supervisor) and the proxy's direct vault socket.
import { PROVIDER_PATTERN } from '../../vocab/index.js';
import { defineControlMethods, defineEvents, defineMethods } from '../define.js';
import { array, bool, empty, int, literal, nullable, object, str, type Infer } from '../schema.js';
import { wireErrorSchema } from './envelopes.js';
import { QUICK_CONTROL_MS } from './common.js';

export const providerName = str({ max: 64, pattern: PROVIDER_PATTERN });
/** A provider key: at most 16 KiB, and not blank. */
const secretValue = str({ max: 16 * 1024, pattern: /\S/ });

export const VAULT_PROTECTORS = ['host', 'tpm2', 'host+tpm2'] as const;
export type VaultProtector = (typeof VAULT_PROTECTORS)[number];

export const secretInfo = object({ provider: str(), fingerprint: str(), keyVersion: int(), createdAt: str(), updatedAt: str() });
export type SecretInfo = Infer<typeof secretInfo>;

export const vaultStatus = object({
  state: literal('unlocked', 'locked'),
  protector: nullable(literal(...VAULT_PROTECTORS)),
  configuredProtector: str(),
  tpmPresent: bool(),
  tcti: str(),
  pcrs: str(),
  keyVersion: int(),
  sealedKeys: int(),
  recoveryConfigured: bool(),
  lastError: nullable(wireErrorSchema),
});
export type VaultStatus = Infer<typeof vaultStatus>;

/** The vault's operator methods; the supervisor forwards each to the vault worker with the caller attached. */
export const VaultControl = defineControlMethods('vault', {
  'vault.seal': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: object({ provider: providerName, secret: secretValue }), result: object({ provider: str(), fingerprint: str(), created: bool() }) },
  'vault.unseal': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: object({ provider: providerName, confirm: literal('yes') }), result: object({ provider: str(), secret: str() }) },
  'vault.list': { access: 'read', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: object({ secrets: array(secretInfo) }) },
  'vault.delete': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: object({ provider: providerName }), result: empty() },
  /** Re-encrypts every key in one transaction and wraps the new data key (the TPM can take seconds). */
  'vault.rotate': { access: 'admin', timeoutMs: 120_000, params: empty(), result: object({ keyVersion: int(), reencrypted: int() }) },
  'vault.status': { access: 'read', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: vaultStatus },
  'vault.initRecovery': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: object({ replace: bool() }), result: object({ recoveryKey: str() }) },
  /** Unwraps with the recovery key and re-wraps with the configured protector (the TPM can take seconds). */
  'vault.recover': { access: 'admin', timeoutMs: 60_000, params: object({ recoveryKey: str({ max: 256 }) }), result: object({ protector: literal(...VAULT_PROTECTORS), keyVersion: int() }) },
});

/** The proxy ↔ vault socket: hello with the per-boot token, then unseal. */
export const VaultSocket = defineMethods({
  hello: { access: 'read', params: object({ protocolVersion: int({ min: 0 }), token: str({ max: 128 }), client: str({ max: 64 }) }), result: object({ protocolVersion: int() }) },
  unseal: { access: 'read', params: object({ provider: providerName }), result: object({ provider: str(), secret: str() }) },
});

export const VaultSocketEvents = defineEvents({
  /** Pushed to connected proxies on seal, delete, rotate and panic: drop cached keys (null = all). */
  invalidate: object({ provider: nullable(str()) }),
});
