// SHA-256 of an executable or script, cached by (device, inode, size, mtime, ctime): a replaced file re-hashes.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export class FileHasher {
  private readonly cache = new Map<string, string>();

  /** Hashes what `path` points at now (for /proc/<pid>/exe: the running binary, even if deleted on disk). */
  hash(path: string): string {
    const st = statSync(path, { bigint: true });
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
    this.cache.set(key, digest);
    return digest;
  }
}
