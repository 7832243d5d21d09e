// The proxy's operator surface: the allow list, identity posture and the panic switch (forwarded by the supervisor).
import { defineControlMethods } from '../define.js';
import { USAGE_GROUPS } from '../../vocab/index.js';
import { array, bool, empty, int, literal, nullable, num, object, str, type Infer } from '../schema.js';
import { QUICK_CONTROL_MS } from './common.js';

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

/** Tokens of one usage line, by kind (docs/usage.md). */
const tokenTotals = object({ input: num(), output: num(), cache_read: num(), cache_write: num(), reasoning: num() });
const usageLine = object({
  key: str(),
  agent: nullable(object({ entry_id: nullable(int()), name: nullable(str()), exe: nullable(str()), script: nullable(str()), uid: nullable(int()) })),
  requests: int({ min: 0 }),
  tokens: tokenTotals,
  cost_micro_usd: num(),
  unpriced: int({ min: 0 }),
  usage_missing: int({ min: 0 }),
});
export type UsageReportLine = Infer<typeof usageLine>;

/** The proxy's operator methods; the supervisor forwards each to the proxy worker with the caller attached. */
export const ProxyControl = defineControlMethods('proxy', {
  /** Hashes the program, its script and every file of its pinned trees. */
  'allow.add': {
    access: 'admin',
    timeoutMs: 60_000,
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
  'allow.refresh': { access: 'admin', timeoutMs: 60_000, params: object({ id: int({ min: 1 }) }), result: allowEntry },
  'allow.list': { access: 'read', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: object({ entries: array(allowEntry) }) },
  'allow.remove': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: object({ id: int({ min: 1 }) }), result: allowEntry },
  'identity.posture': { access: 'read', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: identityPosture },
  // As of 2026-11 the proxy owns the panic switch (it is what panic locks); the scanner issue adds the terminator.
  'panic.engage': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: object({ reason: nullable(str({ max: 512 })) }), result: panicState },
  'panic.release': { access: 'admin', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: panicState },
  'panic.status': { access: 'read', timeoutMs: QUICK_CONTROL_MS, params: empty(), result: panicState },
  /** Usage from the audit rows: an aggregate over the ledger, so it may scan many rows. */
  'usage.report': { access: 'read', timeoutMs: 60_000, params: object({ by: literal(...USAGE_GROUPS), sinceSecs: int({ min: 1, max: 10 * 365 * 86_400 }) }), result: object({ since: str(), lines: array(usageLine), pricesAsOf: str() }) },
});
