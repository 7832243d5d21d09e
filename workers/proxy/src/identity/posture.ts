// What weakens caller identity on this machine: ptrace scope, the exec ledger, entries open to any uid or with writable code.
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EntryRule } from './decide.js';
import type { LedgerState } from './exec-ledger.js';

export interface Posture {
  exec_ledger: LedgerState['state'];
  exec_ledger_reason: string | null;
  /** Yama's kernel.yama.ptrace_scope; null when Yama is absent (any same-uid process may ptrace the agent). */
  ptrace_scope: number | null;
  entries_uid_any: number[];
  entries_code_writable: Array<{ id: number; path: string }>;
  warnings: string[];
}

const YAMA = '/proc/sys/kernel/yama/ptrace_scope';

export function readPtraceScope(): number | null {
  try {
    return Number(readFileSync(YAMA, 'utf8').trim());
  } catch {
    return null;
  }
}

/** Where others can put code an entry's program loads, and why it is loaded from there. */
export interface WritableCode {
  path: string;
  why: string;
}

type CodeEntry = Pick<EntryRule, 'scriptPath' | 'trees' | 'family' | 'uid'>;

const REPLACE = 'whoever can write it can make the agent run their code (pin it with --tree, or fix its owner and mode)';
const BESIDE: Partial<Record<EntryRule['family'], string>> = {
  python: "python puts the script's folder first on sys.path, so a json.py another user adds there shadows the standard library (even in a sticky folder such as /tmp; move the script to a folder of its own, or pin the folder with --tree)",
};
const NODE_MODULES = 'node looks for node_modules in the script\'s folder and every folder above it, so a package another user adds in any of them loads when a bare import is not found nearer (even in a sticky folder such as /tmp); keep the agent under folders only root and its uid can write';

/**
 * Whether a uid other than root and `uid` can change what is at `path`: owned by another uid, group-writable with a
 * non-root group, or world-writable. `stickyProtects`: a root-owned sticky folder (/tmp) lets nobody rename or replace
 * what others own in it, which is all that matters for a folder holding a pinned tree; it does not stop others adding
 * files, which is what matters for the folders a program looks for code in.
 */
function othersCanWrite(path: string, uid: number | null, stickyProtects: boolean): boolean | null {
  try {
    const st = statSync(path);
    if (stickyProtects && st.isDirectory() && (st.mode & 0o1000) !== 0 && st.uid === 0) return false;
    return (st.uid !== 0 && st.uid !== uid) || (st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && st.gid !== 0);
  } catch {
    return null; // gone: the decision denies it anyway
  }
}

/**
 * The first place another uid can put code the entry's program loads, or null: its script or a tree, the folder
 * holding each, and for node every folder above them (node_modules lookup).
 */
export function writableCode(e: CodeEntry): WritableCode | null {
  for (const p of codePaths(e)) {
    if (othersCanWrite(p, e.uid, false)) return { path: p, why: REPLACE };
    const isScript = p === e.scriptPath;
    const dir = dirname(p);
    // A script's own folder: python and node look there for new files too, so a sticky folder does not help.
    const besideWhy = !isScript ? null : e.family === 'node' ? NODE_MODULES : (BESIDE[e.family] ?? null);
    if (othersCanWrite(dir, e.uid, besideWhy === null)) return { path: dir, why: othersCanWrite(dir, e.uid, true) ? REPLACE : (besideWhy ?? REPLACE) };
    if (e.family !== 'node') continue;
    for (let up = dir; ; up = dirname(up)) {
      if (othersCanWrite(up, e.uid, false)) return { path: up, why: othersCanWrite(up, e.uid, true) ? REPLACE : NODE_MODULES };
      if (up === dirname(up)) break;
    }
  }
  return null;
}

function codePaths(e: Pick<EntryRule, 'scriptPath' | 'trees'>): string[] {
  return [...(e.scriptPath ? [e.scriptPath] : []), ...e.trees];
}

export function posture(ledger: LedgerState, entries: readonly EntryRule[]): Posture {
  const scope = readPtraceScope();
  const anyUid = entries.filter((e) => e.uid === null).map((e) => e.id);
  const writable = entries.flatMap((e) => {
    const w = writableCode(e);
    return w ? [{ id: e.id, ...w }] : [];
  });
  const node = entries.filter((e) => e.family === 'node').map((e) => e.id);
  const warnings: string[] = [];
  if (ledger.state !== 'active') warnings.push(`exec ledger ${ledger.state}: ${ledger.reason ?? 'starting'}; callers are identified from /proc, which a process can rewrite (only entries added with --proc-fallback accept that)`);
  if (scope === null || scope === 0) warnings.push(`${scope === null ? 'Yama is not enabled' : 'kernel.yama.ptrace_scope is 0'}: any process of an agent's uid can ptrace it and make it send anything; set ptrace_scope to 1 or more (that closes ptrace), or run agents under their own uid`);
  // Yama does not cover signals: kill() needs only the same uid. Node 20 cannot turn SIGUSR1 off (22.14 and later: --disable-sigusr1).
  if (node.length > 0) warnings.push(`entries ${node.join(', ')} run node: any process of the agent's uid can send it SIGUSR1, which opens node's inspector, and drive it; the agent is refused while the inspector listens (debugger_open), but not once the attacker has closed it again. ptrace_scope does not stop this; run node agents under a uid of their own (node 22.14 and later: start them with --disable-sigusr1)`);
  if (anyUid.length > 0) warnings.push(`entries ${anyUid.join(', ')} accept any uid: every local user running that program gets the key`);
  for (const w of writable) warnings.push(`entry ${w.id}: ${w.path} is writable by a uid other than root and the entry's own: ${w.why}`);
  return { exec_ledger: ledger.state, exec_ledger_reason: ledger.reason, ptrace_scope: scope, entries_uid_any: anyUid, entries_code_writable: writable.map(({ id, path }) => ({ id, path })), warnings };
}
