// The allow decision for one connection: every process holding it must match an entry, on what it executed.
import { isAbsolute, resolve, sep } from 'node:path';
import { injectedVariable } from './env-policy.js';
import { parseArgv, type Family } from './grammar/index.js';
import { deniedInNodeOptions } from './grammar/node.js';
import { homeProblem, pythonLaunchProblem, type LaunchContext } from './launch.js';
import type { ProcessFacts } from './process-facts.js';

/** An allow-list entry as the decision needs it. */
export interface EntryRule {
  id: number;
  exePath: string;
  exeHash: string;
  /** null: any uid (explicit `--uid any`). */
  uid: number | null;
  family: Family;
  scriptPath: string | null;
  scriptHash: string | null;
  anyScript: boolean;
  inlineCode: boolean;
  trees: readonly string[];
  allowEnv: readonly string[];
  allowOptions: readonly string[];
  /** Accept a caller known only from /proc (it started before the exec ledger, or there is none). */
  acceptProc: boolean;
  /** A pinned tree changed: denied until `raypherctl allow refresh`. */
  codeChanged: boolean;
}

/** One process holding the connection, with what it executed. */
export interface Caller extends ProcessFacts {
  exeHash: string;
  /** exec: from the exec ledger, read when the kernel reported the exec; proc: read from /proc now (weaker). */
  source: 'exec' | 'proc';
  execNs: bigint | null;
  /** Its descriptor for the connection lacks close-on-exec: inherited across an exec. */
  inherited: boolean;
  /** The listening TCP sockets it holds (an inspector opened by SIGUSR1 is one). */
  listeners: readonly Listener[];
}

export interface Listener {
  inode: number;
  ip: string;
  port: number;
}

export const DENY_REASONS = [
  'no_process', 'not_listed', 'exe_changed', 'wrong_uid', 'inherited_socket', 'exec_after_connect', 'no_exec_record',
  'env_injection', 'option_denied', 'inline_code', 'script_not_allowed', 'code_changed', 'debugger_open',
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

/** What the audit row and the log say about a caller (no environment values: they may hold secrets). */
export interface CallerSummary {
  pid: number;
  uid: number;
  exe: string;
  exe_hash: string;
  script: string | null;
  source: 'exec' | 'proc';
}

export type Verdict =
  | { allowed: true; entryId: number; caller: CallerSummary }
  | { allowed: false; reason: DenyReason; detail: string | null; entryId: number | null; caller: CallerSummary | null };

export interface DecideContext extends LaunchContext {
  /** The proxy's own mount namespace and root: a caller must see the same files under the same paths. */
  view: { mntNs: string; root: string };
  /** When the proxy accepted the connection (CLOCK_MONOTONIC ns). */
  connectedNs: bigint;
  /** sha256 of a file, or null if it cannot be read. */
  hashFile(path: string): string | null;
  /**
   * The first changed path of the entry's pinned trees, or null. checkedAfterNs: the answer must come from a check made
   * after this time (the caller's exec: a file changed and put back before that check was loaded by it); null: now.
   */
  treeChange(entryId: number, checkedAfterNs: bigint | null): string | null;
  /** Inodes of the callers' listening sockets that answered as node's inspector (probed before the decision). */
  inspectors: ReadonlySet<number>;
}

export function decide(callers: readonly Caller[], entries: readonly EntryRule[], ctx: DecideContext): Verdict {
  if (callers.length === 0) return { allowed: false, reason: 'no_process', detail: null, entryId: null, caller: null };
  let first: Verdict | null = null;
  for (const caller of callers) {
    const v = decideOne(caller, entries, ctx);
    if (!v.allowed) return v;
    first ??= v;
  }
  return first as Verdict;
}

function decideOne(caller: Caller, entries: readonly EntryRule[], ctx: DecideContext): Verdict {
  const summary = summarise(caller, null);
  const deny = (reason: DenyReason, detail: string | null = null, entry: EntryRule | null = null, script: string | null = null): Verdict => ({ allowed: false, reason, detail, entryId: entry?.id ?? null, caller: { ...summary, script: script ?? summary.script } });
  // Interpreters are matched by path too: where the binary sits decides what it loads (venvs, node's global folders).
  const byExe = entries.filter((e) => e.exeHash === caller.exeHash && (e.family === 'binary' || e.exePath === caller.exePath));
  if (byExe.length === 0) return deny(entries.some((e) => e.exePath === caller.exePath) ? 'exe_changed' : 'not_listed');
  // Its script, cwd and trees are checked under the proxy's paths: they name other files in another mount namespace or root.
  if (caller.mntNs !== ctx.view.mntNs || caller.root !== ctx.view.root) return deny('not_listed', `it runs in another mount namespace or root directory (${caller.mntNs}, root ${caller.root}): the files it loaded are not the ones checked here`);
  const byUid = byExe.filter((e) => e.uid === null || e.uid === caller.uid);
  if (byUid.length === 0) return deny('wrong_uid', `entries for this program are bound to uid ${byExe.map((e) => e.uid).join(', ')}`);
  // The program on the list must have made the connection itself, after it started.
  if (caller.inherited) return deny('inherited_socket', 'its descriptor for this connection was inherited across an exec');
  if (caller.execNs !== null && caller.execNs > ctx.connectedNs) return deny('exec_after_connect', 'it executed a new program after the connection was made');
  // An open inspector (SIGUSR1 opens one in any node process: no option, no code of the agent's) runs whatever any
  // local process sends it: what the program does then is not what was executed.
  const inspector = caller.listeners.find((l) => ctx.inspectors.has(l.inode));
  if (inspector) return deny('debugger_open', `node's inspector listens on ${inspector.ip}:${inspector.port}: any local process can make this program send anything`);
  let denial: Verdict | null = null;
  for (const entry of byUid) {
    const v = checkEntry(entry, caller, ctx, deny);
    if (v.allowed) return v;
    denial ??= v;
  }
  return denial as Verdict;
}

type Deny = (reason: DenyReason, detail?: string | null, entry?: EntryRule | null, script?: string | null) => Verdict;

function checkEntry(e: EntryRule, caller: Caller, ctx: DecideContext, deny: Deny): Verdict {
  if (caller.source === 'proc' && !e.acceptProc) return deny('no_exec_record', 'no exec record for this process (it started before Raypher, or the exec ledger is off)', e);
  const code = e.family === 'binary' ? null : parseArgv(e.family, caller.argv, e.allowOptions);
  const script = code?.kind === 'script' ? ctx.realpath(isAbsolute(code.arg) ? code.arg : resolve(caller.cwd, code.arg)) : null;
  const shown = code?.kind === 'inline' ? `(inline ${code.how})` : code?.kind === 'script' ? (script ?? code.arg) : null;
  const envFamily: Family = code?.kind === 'script' && code.ignoresEnvironment ? 'generic' : e.family;
  const variable = injectedVariable(caller.env, envFamily, e.allowEnv);
  if (variable) return deny('env_injection', `${variable} is set`, e, shown);
  const launch = { ...caller, family: e.family, trees: e.trees, allowEnv: e.allowEnv };
  const home = homeProblem(launch, ctx);
  if (home) return deny('env_injection', home, e, shown);
  const argv0 = pythonLaunchProblem(launch, ctx);
  if (argv0) return deny('option_denied', argv0, e, shown);
  // A native program may be node inside (a single-executable app, Electron): it reads NODE_OPTIONS too.
  if ((e.family === 'node' || e.family === 'binary') && caller.env.NODE_OPTIONS !== undefined && !e.allowEnv.includes('NODE_OPTIONS')) {
    const bad = deniedInNodeOptions(caller.env.NODE_OPTIONS, e.allowOptions);
    if (bad) return deny('env_injection', `NODE_OPTIONS has ${bad.option}: ${bad.why}`, e, shown);
  }
  if (code?.kind === 'denied') return deny('option_denied', `${code.option}: ${code.why}`, e, shown);
  if (code?.kind === 'inline' && !e.inlineCode) return deny('inline_code', `inline code (${code.how})`, e, shown);
  if (code?.kind === 'script' && !scriptAllowed(e, script, ctx)) return deny('script_not_allowed', null, e, shown);
  if (e.codeChanged) return deny('code_changed', 'a pinned file changed; run raypherctl allow refresh', e, shown);
  // The script's stamp is pinned like a tree's files: a script swapped, run and put back has the same bytes again.
  if (e.trees.length > 0 || e.scriptPath !== null) {
    const changed = ctx.treeChange(e.id, caller.execNs);
    if (changed) return deny('code_changed', `${changed} changed`, e, shown);
  }
  return { allowed: true, entryId: e.id, caller: summarise(caller, shown) };
}

function scriptAllowed(e: EntryRule, script: string | null, ctx: DecideContext): boolean {
  if (e.anyScript) return true;
  if (script === null) return false;
  if (e.scriptPath !== null) return script === e.scriptPath && ctx.hashFile(script) === e.scriptHash;
  // A tree without a named script: any script inside it (its content is pinned by the tree check).
  return e.trees.some((t) => script.startsWith(t.endsWith(sep) ? t : t + sep));
}

function summarise(c: Caller, script: string | null): CallerSummary {
  return { pid: c.pid, uid: c.uid, exe: c.exePath, exe_hash: c.exeHash, script, source: c.source };
}
