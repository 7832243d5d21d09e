// Writes checked archive entries into a fresh directory; nothing pre-exists there, so no write can follow a link out.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ArchiveEntry } from './tar-reader.js';

/** Called after each entry is written: progress for health, and where tests stop the process mid-extraction. */
export type OnEntry = (written: number, total: number) => void;

export function extractEntries(entries: readonly ArchiveEntry[], dir: string, onEntry?: OnEntry): void {
  mkdirSync(dir, { mode: 0o755 });
  entries.forEach((entry, i) => {
    const path = join(dir, entry.path);
    if (entry.type === 'dir') {
      mkdirSync(path, { recursive: true, mode: 0o755 });
    } else {
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      const fd = openSync(path, 'wx', entry.executable ? 0o755 : 0o644);
      try {
        writeSync(fd, entry.data);
      } finally {
        closeSync(fd);
      }
    }
    onEntry?.(i + 1, entries.length);
  });
}
