// Whether a process is on the proxy's allow list, judged on what an entry pins and the scanner can see: the
// executable's SHA-256 (and its path, for an interpreter), the uid, and the script (path and SHA-256) an entry names.
// The proxy decides for real at each request (environment, options, code trees); this is the scanner's "allow-listed?".
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { sep } from 'node:path';
import type { ProcessInfo } from './inventory/proc-inventory.js';

/** The allow_list columns this check reads. */
export interface AllowRow {
  readonly exe_path: string;
  readonly exe_hash: string;
  readonly uid: number | null;
  readonly family: string | null;
  readonly script_path: string | null;
  readonly script_hash: string | null;
  readonly any_script: number;
  readonly trees: string;
}

/** SHA-256 (hex, as the allow list stores it) of a file, cached by device, inode, size and times: a replaced file re-hashes. */
class FileHashes {
  private readonly cache = new Map<string, string>();

  of(path: string): string | null {
    try {
      const st = statSync(path, { bigint: true });
      const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
      let digest = this.cache.get(key);
      if (digest === undefined) {
        digest = createHash('sha256').update(readFileSync(path)).digest('hex');
        this.cache.set(key, digest);
      }
      return digest;
    } catch {
      return null;
    }
  }
}

export class AllowListCheck {
  private entries: readonly AllowRow[] = [];
  /** Judged once per process record and allow list: a new list (allow.added, allow.removed) judges again. */
  private verdicts = new WeakMap<ProcessInfo, boolean>();
  private readonly hashes = new FileHashes();

  constructor(private readonly root = '/proc') {}

  setEntries(rows: readonly AllowRow[]): void {
    this.entries = rows;
    this.verdicts = new WeakMap();
  }

  /** `script`: the script an interpreter runs (absolute), from the detector; null for a native program or inline code. */
  listed(p: ProcessInfo, script: string | null): boolean {
    const known = this.verdicts.get(p);
    if (known !== undefined) return known;
    const verdict = this.judge(p, script);
    this.verdicts.set(p, verdict);
    return verdict;
  }

  private judge(p: ProcessInfo, script: string | null): boolean {
    if (p.exe === null || this.entries.length === 0) return false;
    const byExe = this.entries.filter((e) => (e.family === 'binary' || e.exe_path === p.exe) && (e.uid === null || e.uid === p.uid));
    if (byExe.length === 0) return false;
    // The running image (/proc/<pid>/exe), even if the file on disk was replaced since.
    const exeHash = this.hashes.of(`${this.root}/${p.pid}/exe`);
    const real = script === null ? null : realpathOrNull(script);
    return byExe.some((e) => e.exe_hash === exeHash && this.scriptMatches(e, real));
  }

  private scriptMatches(e: AllowRow, script: string | null): boolean {
    if (e.script_path !== null) return script === e.script_path && this.hashes.of(script) === e.script_hash;
    if (script === null || e.any_script === 1 || e.family === 'binary') return true;
    // An interpreter entry without a named script allows the scripts inside its code trees only.
    const trees = JSON.parse(e.trees) as string[];
    return trees.some((t) => script.startsWith(t.endsWith(sep) ? t : t + sep));
  }
}

function realpathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}
