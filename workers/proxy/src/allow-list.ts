// The allow list in raypher.db: entries, their pinned code trees, and the rules the identification thread decides on.
import type { Db } from '@raypher/shared/db';
import type { InterpreterFamily } from '@raypher/shared/ipc';
import type { TreeFile } from './identity/code-tree.js';
import type { EntryRule } from './identity/decide.js';
import { familyOf } from './identity/grammar/index.js';

export interface AllowEntry {
  id: number;
  exe_path: string;
  exe_hash: string;
  friendly_name: string | null;
  uid: number | null;
  family: InterpreterFamily;
  script_path: string | null;
  script_hash: string | null;
  any_script: number;
  inline_code: number;
  trees: string;
  allow_env: string;
  allow_options: string;
  proc_fallback: number;
  code_changed: number;
  rate_limit: number | null;
  added_at: string;
  added_by: string;
}

export type NewEntry = Omit<AllowEntry, 'id' | 'added_at' | 'code_changed'>;

const json = (text: string): string[] => JSON.parse(text) as string[];

export function ruleOf(e: AllowEntry): EntryRule {
  return {
    id: e.id,
    exePath: e.exe_path,
    exeHash: e.exe_hash,
    uid: e.uid,
    family: e.family,
    scriptPath: e.script_path,
    scriptHash: e.script_hash,
    anyScript: e.any_script === 1,
    inlineCode: e.inline_code === 1,
    trees: json(e.trees),
    allowEnv: json(e.allow_env),
    allowOptions: json(e.allow_options),
    acceptProc: e.proc_fallback === 1,
    codeChanged: e.code_changed === 1,
  };
}

export class AllowList {
  /** The proxy is the only writer, so this in-memory copy is exact; reloaded after every change. */
  private entries: AllowEntry[] = [];
  private manifests = new Map<number, TreeFile[]>();

  constructor(private readonly db: Db) {}

  async load(): Promise<void> {
    const rows = await this.db.all<AllowEntry & Record<string, unknown>>('SELECT * FROM allow_list ORDER BY id');
    // Entries from before migration 4 get their family from the executable's name, once.
    for (const r of rows.filter((x) => x.family === null)) {
      r.family = familyOf(r.exe_path);
      await this.db.run('UPDATE allow_list SET family = ? WHERE id = ?', [r.family, r.id]);
    }
    this.entries = rows;
    const files = await this.db.all<{ entry_id: number } & TreeFile & Record<string, unknown>>('SELECT entry_id, path, kind, digest, stamp FROM allow_tree_files ORDER BY entry_id, rowid');
    this.manifests = new Map();
    for (const f of files) {
      const list = this.manifests.get(f.entry_id) ?? [];
      list.push({ path: f.path, kind: f.kind, digest: f.digest, stamp: f.stamp });
      this.manifests.set(f.entry_id, list);
    }
  }

  list(): readonly AllowEntry[] {
    return this.entries;
  }

  get(id: number): AllowEntry | null {
    return this.entries.find((x) => x.id === id) ?? null;
  }

  rules(): EntryRule[] {
    return this.entries.map(ruleOf);
  }

  manifestEntries(): Array<{ entryId: number; files: TreeFile[] }> {
    return [...this.manifests].map(([entryId, files]) => ({ entryId, files }));
  }

  /** Files pinned under the entry's trees (its script, pinned by stamp too, is counted only when it lies in one). */
  treeFileCount(id: number): number {
    const script = this.get(id)?.script_path;
    const trees = JSON.parse(this.get(id)?.trees ?? '[]') as string[];
    const inTree = (p: string) => trees.some((t) => p === t || p.startsWith(t.endsWith('/') ? t : `${t}/`));
    return (this.manifests.get(id) ?? []).filter((f) => f.path !== script || inTree(f.path)).length;
  }

  async add(e: NewEntry, manifest: readonly TreeFile[]): Promise<AllowEntry> {
    const id = await this.db.transaction(async (tx) => {
      const r = await tx.run(
        'INSERT INTO allow_list (exe_path, exe_hash, friendly_name, uid, family, script_path, script_hash, any_script, inline_code, trees, allow_env, allow_options, proc_fallback, rate_limit, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [e.exe_path, e.exe_hash, e.friendly_name, e.uid, e.family, e.script_path, e.script_hash, e.any_script, e.inline_code, e.trees, e.allow_env, e.allow_options, e.proc_fallback, e.rate_limit, new Date().toISOString(), e.added_by],
      );
      await writeManifest(tx, r.lastID, manifest);
      return r.lastID;
    });
    await this.load();
    return this.get(id) as AllowEntry;
  }

  /** New hashes for the script and the trees after a deliberate change; clears code_changed. */
  async refresh(id: number, scriptHash: string | null, manifest: readonly TreeFile[]): Promise<AllowEntry> {
    await this.db.transaction(async (tx) => {
      await tx.run('UPDATE allow_list SET script_hash = ?, code_changed = 0 WHERE id = ?', [scriptHash, id]);
      await tx.run('DELETE FROM allow_tree_files WHERE entry_id = ?', [id]);
      await writeManifest(tx, id, manifest);
    });
    await this.load();
    return this.get(id) as AllowEntry;
  }

  /** Marks an entry whose pinned code changed: denied until refreshed, across restarts. False if it already was. */
  async markCodeChanged(id: number): Promise<boolean> {
    const entry = this.get(id);
    if (!entry || entry.code_changed === 1) return false;
    await this.db.run('UPDATE allow_list SET code_changed = 1 WHERE id = ?', [id]);
    await this.load();
    return true;
  }

  async remove(id: number): Promise<AllowEntry | null> {
    const entry = this.get(id);
    if (entry) {
      await this.db.run('DELETE FROM allow_list WHERE id = ?', [id]);
      await this.load();
    }
    return entry;
  }
}

async function writeManifest(tx: Pick<Db, 'run'>, id: number, manifest: readonly TreeFile[]): Promise<void> {
  for (const f of manifest) await tx.run('INSERT INTO allow_tree_files (entry_id, path, kind, digest, stamp) VALUES (?, ?, ?, ?, ?)', [id, f.path, f.kind, f.digest, f.stamp]);
}
