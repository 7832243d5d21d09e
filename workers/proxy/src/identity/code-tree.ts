// Pinned code trees: a manifest of every file under a directory, re-checked cheaply by inode, size, mtime and ctime.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join, sep } from 'node:path';
import { RaypherError } from '@raypher/shared/errors';
import { realpathOrNull } from './host-facts.js';

export interface TreeFile {
  path: string;
  kind: 'file' | 'dir' | 'link';
  /** sha256 of a file's bytes, of a directory's sorted names, or a link's target. */
  digest: string;
  /** dev:ino:size:mtimeNs:ctimeNs: any write, rename or chmod moves ctime. */
  stamp: string;
}

/** A tree larger than this is refused at `allow` (pin a smaller directory). */
export const MAX_TREE_FILES = 50_000;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const stampOf = (st: BigIntStats) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;

/**
 * Hashes every file, directory listing and link under the roots. A link that leads out of the roots to something the
 * caller could write is followed and what it leads to is pinned too (under its real path): the agent loads through it.
 * `trusted` says whether a path outside is root's all the way up (system files need no pinning).
 */
export function buildManifest(roots: readonly string[], trusted: (path: string) => boolean = () => false): TreeFile[] {
  const out: TreeFile[] = [];
  const followed = new Set<string>();
  const inside = (p: string) => roots.some((r) => p === r || p.startsWith(r.endsWith(sep) ? r : r + sep));
  const walk = (path: string) => {
    if (out.length >= MAX_TREE_FILES) throw new RaypherError('ERR_PROXY_ALLOW_INVALID', `more than ${MAX_TREE_FILES} files under ${roots.join(', ')}; pin the agent's own code directory, not a whole home or disk`);
    const st = lstatSync(path, { bigint: true });
    if (st.isSymbolicLink()) {
      out.push({ path, kind: 'link', digest: sha256(readlinkSync(path)), stamp: stampOf(st) });
      const target = realpathOrNull(path);
      if (target !== null && !inside(target) && !followed.has(target) && !trusted(target)) {
        followed.add(target);
        walk(target);
      }
      return;
    }
    if (st.isDirectory()) {
      const names = readdirSync(path).sort();
      out.push({ path, kind: 'dir', digest: sha256(names.join('\0')), stamp: stampOf(st) });
      for (const name of names) walk(join(path, name));
      return;
    }
    if (st.isFile()) out.push({ path, kind: 'file', digest: sha256(readFileSync(path)), stamp: stampOf(st) });
  };
  for (const root of roots) walk(root);
  return out;
}

/**
 * The first path that changed (content, a file added or removed, a link retargeted, or a file written and put back),
 * or null. Stats only. A moved stamp is a change even when the bytes are the same again: code can be swapped, run and
 * restored between two checks, and the ctime it leaves behind is the only trace (nobody but the kernel sets ctime).
 */
export function firstChange(manifest: readonly TreeFile[]): string | null {
  for (const f of manifest) {
    try {
      if (stampOf(lstatSync(f.path, { bigint: true })) !== f.stamp) return f.path;
    } catch {
      return f.path; // removed
    }
  }
  return null;
}
