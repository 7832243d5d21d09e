// The vault's IPC surface: operator methods (forwarded by the supervisor) and the proxy's direct vault socket.
import { PROVIDER_PATTERN } from '../../vocab/index.js';
import { defineEvents, defineMethods, type MethodSpecs } from '../define.js';
import { array, bool, empty, int, literal, nullable, object, str, type Infer } from '../schema.js';
import { wireErrorSchema } from './envelopes.js';
import { forwardedSpecs } from './common.js';

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

export const VAULT_CONTROL_SPECS = {
  'vault.seal': { access: 'admin', params: object({ provider: providerName, secret: secretValue }), result: object({ provider: str(), fingerprint: str(), created: bool() }) },
  'vault.unseal': { access: 'admin', params: object({ provider: providerName, confirm: literal('yes') }), result: object({ provider: str(), secret: str() }) },
  'vault.list': { access: 'read', params: empty(), result: object({ secrets: array(secretInfo) }) },
  'vault.delete': { access: 'admin', params: object({ provider: providerName }), result: empty() },
  'vault.rotate': { access: 'admin', params: empty(), result: object({ keyVersion: int(), reencrypted: int() }) },
  'vault.status': { access: 'read', params: empty(), result: vaultStatus },
  'vault.initRecovery': { access: 'admin', params: object({ replace: bool() }), result: object({ recoveryKey: str() }) },
  'vault.recover': { access: 'admin', params: object({ recoveryKey: str({ max: 256 }) }), result: object({ protector: literal(...VAULT_PROTECTORS), keyVersion: int() }) },
} as const satisfies MethodSpecs;

/** The vault's operator methods as the supervisor forwards them to the vault worker, with the caller. */
export const VaultOps = defineMethods(forwardedSpecs(VAULT_CONTROL_SPECS));

/** The proxy ↔ vault socket: hello with the per-boot token, then unseal. */
export const VaultSocket = defineMethods({
  hello: { access: 'read', params: object({ protocolVersion: int({ min: 0 }), token: str({ max: 128 }), client: str({ max: 64 }) }), result: object({ protocolVersion: int() }) },
  unseal: { access: 'read', params: object({ provider: providerName }), result: object({ provider: str(), secret: str() }) },
});

export const VaultSocketEvents = defineEvents({
  /** Pushed to connected proxies on seal, delete, rotate and panic: drop cached keys (null = all). */
  invalidate: object({ provider: nullable(str()) }),
});
