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

/**
 * The first of the paths (or the directory holding it) that a uid other than root and `uid` can change: owned by
 * another uid, group-writable with a non-root group, or world-writable. null when none is.
 */
export function writableByOthers(paths: readonly string[], uid: number | null): string | null {
  for (const p of paths) {
    for (const path of [p, dirname(p)]) {
      try {
        const st = statSync(path);
        // A root-owned sticky directory (/tmp) lets nobody replace what others own in it.
        if (path !== p && st.isDirectory() && (st.mode & 0o1000) !== 0 && st.uid === 0) continue;
        if ((st.uid !== 0 && st.uid !== uid) || (st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && st.gid !== 0)) return path;
      } catch {
        /* gone: the decision denies it anyway */
      }
    }
  }
  return null;
}

export function codePaths(e: Pick<EntryRule, 'scriptPath' | 'trees'>): string[] {
  return [...(e.scriptPath ? [e.scriptPath] : []), ...e.trees];
}

export function posture(ledger: LedgerState, entries: readonly EntryRule[]): Posture {
  const scope = readPtraceScope();
  const anyUid = entries.filter((e) => e.uid === null).map((e) => e.id);
  const writable = entries.flatMap((e) => {
    const path = writableByOthers(codePaths(e), e.uid);
    return path ? [{ id: e.id, path }] : [];
  });
  const warnings: string[] = [];
  if (ledger.state !== 'active') warnings.push(`exec ledger ${ledger.state}: ${ledger.reason ?? 'starting'}; callers are identified from /proc, which a process can rewrite (only entries added with --proc-fallback accept that)`);
  if (scope === null || scope === 0) warnings.push(`${scope === null ? 'Yama is not enabled' : 'kernel.yama.ptrace_scope is 0'}: any process of an agent's uid can ptrace it and make it send anything; run agents under their own uid, or set ptrace_scope to 1 or more`);
  if (anyUid.length > 0) warnings.push(`entries ${anyUid.join(', ')} accept any uid: every local user running that program gets the key`);
  for (const w of writable) warnings.push(`entry ${w.id}: ${w.path} is writable by a uid other than root and the entry's own; whoever can write it can make the agent run their code`);
  return { exec_ledger: ledger.state, exec_ledger_reason: ledger.reason, ptrace_scope: scope, entries_uid_any: anyUid, entries_code_writable: writable, warnings };
}
