// The allow list in raypher.db, and the decision: every process holding the connection must match an entry.
import type { Db } from '@raypher/shared/db';
import type { Caller } from './identity/index.js';

export interface AllowEntry {
  id: number;
  exe_path: string;
  exe_hash: string;
  friendly_name: string | null;
  uid: number | null;
  script_path: string | null;
  script_hash: string | null;
  any_script: number;
  inline_code: number;
  rate_limit: number | null;
  added_at: string;
  added_by: string;
}

export type Decision =
  | { allowed: true; entry: AllowEntry; caller: Caller }
  | { allowed: false; reason: 'no_process' | 'not_listed' | 'exe_changed' | 'script_not_allowed' | 'inline_code'; caller: Caller | null };

export class AllowList {
  /** The proxy is the only writer, so this in-memory copy is exact; reloaded after every change. */
  private entries: AllowEntry[] = [];

  constructor(private readonly db: Db) {}

  async load(): Promise<void> {
    this.entries = await this.db.all<AllowEntry & Record<string, unknown>>('SELECT * FROM allow_list ORDER BY id');
  }

  list(): readonly AllowEntry[] {
    return this.entries;
  }

  async add(e: Omit<AllowEntry, 'id' | 'added_at'>): Promise<AllowEntry> {
    const r = await this.db.run(
      'INSERT INTO allow_list (exe_path, exe_hash, friendly_name, uid, script_path, script_hash, any_script, inline_code, rate_limit, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [e.exe_path, e.exe_hash, e.friendly_name, e.uid, e.script_path, e.script_hash, e.any_script, e.inline_code, e.rate_limit, new Date().toISOString(), e.added_by],
    );
    await this.load();
    return this.entries.find((x) => x.id === r.lastID) as AllowEntry;
  }

  async remove(id: number): Promise<AllowEntry | null> {
    const entry = this.entries.find((x) => x.id === id) ?? null;
    if (entry) {
      await this.db.run('DELETE FROM allow_list WHERE id = ?', [id]);
      await this.load();
    }
    return entry;
  }

  /** Every holder must be allowed; the decision names the first one that is not. */
  decide(callers: readonly Caller[]): Decision {
    if (callers.length === 0) return { allowed: false, reason: 'no_process', caller: null };
    let first: Decision | null = null;
    for (const caller of callers) {
      const d = this.decideOne(caller);
      if (!d.allowed) return d;
      first ??= d;
    }
    return first as Decision;
  }

  private decideOne(caller: Caller): Decision {
    const byExe = this.entries.filter((e) => e.exe_hash === caller.exeHash && (e.uid === null || e.uid === caller.uid));
    if (byExe.length === 0) {
      const samePath = this.entries.some((e) => e.exe_path === caller.exePath);
      return { allowed: false, reason: samePath ? 'exe_changed' : 'not_listed', caller };
    }
    const code = caller.code;
    if (code.kind === 'binary') return { allowed: true, entry: byExe[0] as AllowEntry, caller };
    if (code.kind === 'inline') {
      const entry = byExe.find((e) => e.inline_code === 1);
      return entry ? { allowed: true, entry, caller } : { allowed: false, reason: 'inline_code', caller };
    }
    // One script means that file, unchanged: resolved path and content hash must both match.
    const entry = byExe.find((e) => e.any_script === 1 || (caller.scriptHash !== null && e.script_path === code.path && e.script_hash === caller.scriptHash));
    return entry ? { allowed: true, entry, caller } : { allowed: false, reason: 'script_not_allowed', caller };
  }
}
