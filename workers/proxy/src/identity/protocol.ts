// The identification thread's methods, declared once: the proxy's side (thread.ts) and the thread (thread-main.ts)
// both import them, and every request and reply is validated against these schemas.
import {
  array, bool, defineMethods, empty, identityPosture, int, INTERPRETER_FAMILIES, isPlainObject, literal, nullable, object, optional, SchemaError, str,
  type Infer, type Schema,
} from '@raypher/shared/ipc';
import type { TreeFile } from './code-tree.js';
import { DENY_REASONS, type CallerSummary, type EntryRule, type Verdict } from './decide.js';
import type { Connection } from './index.js';
import type { Posture } from './posture.js';

/** A union told apart by one field: that field's value names the schema that parses the whole object. */
function union<S extends Record<string, Schema<unknown>>>(field: string, variants: S): Schema<Infer<S[keyof S]>> {
  return {
    describe: `${Object.keys(variants).join('|')} by ${field}`,
    parse(value, path = '') {
      const tag = isPlainObject(value) ? String(value[field]) : '';
      const schema = Object.hasOwn(variants, tag) ? variants[tag] : undefined;
      if (!schema) throw new SchemaError(path ? `${path}.${field}` : field, `one of ${Object.keys(variants).join(', ')}`);
      return schema.parse(value, path) as Infer<S[keyof S]>;
    },
  };
}

/** A monotonic clock reading in ns; a MessagePort carries bigints as they are. */
const bigintNs: Schema<bigint> = {
  describe: 'bigint',
  parse(value, path = '') {
    if (typeof value !== 'bigint') throw new SchemaError(path, 'a bigint');
    return value;
  },
};

/** Exactly true or exactly false (the tag of a verdict). */
function flag<const B extends boolean>(expected: B): Schema<B> {
  return {
    describe: String(expected),
    parse(value, path = '') {
      if (value !== expected) throw new SchemaError(path, String(expected));
      return expected;
    },
  };
}

const endpoint = object({ ip: str({ max: 64 }), port: int({ min: 0, max: 65_535 }) });
const connection: Schema<Connection> = union('kind', {
  tcp: object({ kind: literal('tcp'), client: endpoint, server: endpoint, askedNs: optional(bigintNs) }),
  unix: object({ kind: literal('unix'), pid: int(), uid: int(), serverFd: int(), askedNs: optional(bigintNs) }),
});

const callerSummary: Schema<CallerSummary> = object({ pid: int(), uid: int(), exe: str(), exe_hash: str(), script: nullable(str()), source: literal('exec', 'proc') });
const verdict: Schema<Verdict> = union('allowed', {
  true: object({ allowed: flag(true), entryId: int(), caller: callerSummary }),
  false: object({ allowed: flag(false), reason: literal(...DENY_REASONS), detail: nullable(str()), entryId: nullable(int()), caller: nullable(callerSummary) }),
});

const names = array(str());
const entryRule: Schema<EntryRule> = object({
  id: int(), exePath: str(), exeHash: str(), uid: nullable(int()), family: literal(...INTERPRETER_FAMILIES), scriptPath: nullable(str()), scriptHash: nullable(str()),
  anyScript: bool(), inlineCode: bool(), trees: names, allowEnv: names, allowOptions: names, acceptProc: bool(), codeChanged: bool(),
});
const treeFile: Schema<TreeFile> = object({ path: str(), kind: literal('file', 'dir', 'link'), digest: str(), stamp: str() });
const posture: Schema<Posture> = identityPosture;

export const IdentityMethods = defineMethods({
  /** Who holds this connection, and the allow decision for them. */
  identify: { access: 'read', params: object({ connection, connectedNs: bigintNs }), result: verdict },
  /** The allow-list rules and pinned-tree manifests to decide with (re-sent to a restarted thread). */
  entries: { access: 'admin', params: object({ entries: array(entryRule), manifests: array(object({ entryId: int(), files: array(treeFile) })) }), result: empty() },
  hash: { access: 'read', params: object({ paths: names }), result: names },
  manifest: { access: 'read', params: object({ roots: names }), result: array(treeFile) },
  posture: { access: 'read', params: empty(), result: posture },
});

export type IdentityMethod = (typeof IdentityMethods)[keyof typeof IdentityMethods];

/**
 * How long each method may take before the proxy gives up on the thread, in ms; a late answer is refused with
 * ERR_PROXY_IDENTITY_FAILED (fail closed). They bound a hung thread, not a slow one: a new connection's scan takes
 * ~5 ms, but twenty agents connecting at once on two overloaded cores queued for more than 5 s in tests (2026-11),
 * hashing a large executable takes seconds, and pinning a tree of up to 50,000 files longer.
 */
export const IDENTITY_TIMEOUTS_MS: Readonly<Record<keyof typeof IdentityMethods, number>> = {
  identify: 30_000,
  entries: 30_000,
  hash: 60_000,
  manifest: 300_000,
  posture: 30_000,
};
