// The vault's IPC surface: operator methods (via the supervisor) and the proxy's direct vault socket.
import { defineEvents, defineMethods, type Access, type MethodSpecs } from './define.js';
import { array, bool, empty, int, literal, nullable, object, str, type Infer, type Schema } from './schema.js';

export const PROVIDER_PATTERN = /^[a-z0-9_-]{1,64}$/;
export const providerName = str({ max: 64, pattern: PROVIDER_PATTERN });
/** A provider key: at most 16 KiB, and not blank. */
const secretValue = str({ max: 16 * 1024, pattern: /\S/ });
const wireError = object({ code: str({ max: 64 }), message: str({ max: 4096 }) });

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
  lastError: nullable(wireError),
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

export const callerSchema = nullable(object({ uid: int(), pid: int() }));
export type Caller = Infer<typeof callerSchema>;

type Forwarded<S extends MethodSpecs> = {
  [K in keyof S]: { access: Access; params: Schema<{ caller: Caller; args: Infer<S[K]['params']> }>; result: S[K]['result'] };
};

/** The same methods with the caller's identity attached, for the supervisor → worker hop. */
export function forwardedSpecs<S extends MethodSpecs>(specs: S): Forwarded<S> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = { ...spec, params: object({ caller: callerSchema, args: spec.params }) };
  return out as Forwarded<S>;
}

/** The proxy ↔ vault socket: hello with the per-boot token, then unseal. */
export const VaultSocket = defineMethods({
  hello: { access: 'read', params: object({ protocolVersion: int({ min: 0 }), token: str({ max: 128 }), client: str({ max: 64 }) }), result: object({ protocolVersion: int() }) },
  unseal: { access: 'read', params: object({ provider: providerName }), result: object({ provider: str(), secret: str() }) },
});

export const VaultSocketEvents = defineEvents({
  /** Pushed to connected proxies on seal, delete, rotate and panic: drop cached keys (null = all). */
  invalidate: object({ provider: nullable(str()) }),
});

// ---- the proxy's allow list (operator methods, forwarded to the proxy worker) ----------------------

/** How an entry's argv is read: binary (no script check), interpreters with a parsed grammar, generic (no options). */
export const INTERPRETER_FAMILIES = ['binary', 'node', 'python', 'perl', 'ruby', 'php', 'shell', 'generic'] as const;
export type InterpreterFamily = (typeof INTERPRETER_FAMILIES)[number];
const names = array(str({ max: 256 }), { max: 64 });

export const allowEntry = object({
  id: int(),
  exePath: str(),
  exeHash: str(),
  name: nullable(str()),
  /** null: any uid (explicit `--uid any`). */
  uid: nullable(int()),
  family: literal(...INTERPRETER_FAMILIES),
  scriptPath: nullable(str()),
  scriptHash: nullable(str()),
  anyScript: bool(),
  inlineCode: bool(),
  trees: names,
  treeFiles: int(),
  allowEnv: names,
  allowOptions: names,
  procFallback: bool(),
  codeChanged: bool(),
  rateLimit: nullable(int()),
  addedAt: str(),
  addedBy: str(),
  /** What weakens this entry now (its code writable by others, any uid). */
  warnings: array(str()),
});
export type AllowEntryInfo = Infer<typeof allowEntry>;

/** Panic mode: while engaged the proxy answers 503 to everyone and holds no provider key. */
export const panicState = object({ engaged: bool(), reason: nullable(str()), changedAt: nullable(str()), changedBy: nullable(str()) });
export type PanicState = Infer<typeof panicState>;

/** What weakens caller identity on this machine (docs/security.md). */
export const identityPosture = object({
  exec_ledger: literal('starting', 'active', 'unavailable'),
  exec_ledger_reason: nullable(str()),
  ptrace_scope: nullable(int()),
  entries_uid_any: array(int()),
  entries_code_writable: array(object({ id: int(), path: str() })),
  warnings: array(str()),
});
export type IdentityPosture = Infer<typeof identityPosture>;

export const PROXY_CONTROL_SPECS = {
  'allow.add': {
    access: 'admin',
    params: object({
      exePath: str({ max: 4096 }),
      script: nullable(str({ max: 4096 })),
      /** null: the uid of the operator who adds it; anyUid: every uid (must be asked for). */
      uid: nullable(int({ min: 0 })),
      anyUid: bool(),
      name: nullable(str({ max: 128 })),
      anyScript: bool(),
      inlineCode: bool(),
      trees: array(str({ max: 4096 }), { max: 16 }),
      allowEnv: names,
      allowOptions: names,
      procFallback: bool(),
      /** The interpreter grammar; null: from the executable's name. */
      interpreter: nullable(literal(...INTERPRETER_FAMILIES)),
      rateLimit: nullable(int({ min: 1, max: 1_000_000 })),
    }),
    result: allowEntry,
  },
  /** Re-hash an entry's script and pinned trees after a deliberate change (clears code_changed). */
  'allow.refresh': { access: 'admin', params: object({ id: int({ min: 1 }) }), result: allowEntry },
  'allow.list': { access: 'read', params: empty(), result: object({ entries: array(allowEntry) }) },
  'allow.remove': { access: 'admin', params: object({ id: int({ min: 1 }) }), result: allowEntry },
  'identity.posture': { access: 'read', params: empty(), result: identityPosture },
  // As of 2026-11 the proxy owns the panic switch (it is what panic locks); the scanner issue adds the terminator.
  'panic.engage': { access: 'admin', params: object({ reason: nullable(str({ max: 512 })) }), result: panicState },
  'panic.release': { access: 'admin', params: empty(), result: panicState },
  'panic.status': { access: 'read', params: empty(), result: panicState },
} as const satisfies MethodSpecs;
