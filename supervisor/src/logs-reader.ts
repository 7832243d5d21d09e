// Reads a process's newest log file for `raypherctl logs`: the last N lines, then onward from a cursor.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { logFilePrefix } from '@raypher/shared/logging';

/** Bytes read per call at most, so a huge log never blocks the supervisor. */
const MAX_READ_BYTES = 1024 * 1024;

export interface LogCursor {
  file: string;
  offset: number;
}

export function newestLogFile(dir: string, processName: string): string | null {
  const prefix = logFilePrefix(processName);
  const names = safeReaddir(dir).filter((n) => n.startsWith(prefix) && /^[a-z]+-[0-9-]+\.log$/.test(n));
  return names.sort().at(-1) ?? null;
}

export function readLogLines(dir: string, processName: string, lines: number, cursor?: LogCursor): { lines: string[]; cursor: LogCursor | null } {
  const file = newestLogFile(dir, processName);
  if (!file) return { lines: [], cursor: null };
  const path = join(dir, file);
  const size = statSync(path).size;
  const fromCursor = cursor && cursor.file === file && cursor.offset <= size;
  const start = fromCursor ? cursor.offset : Math.max(0, size - MAX_READ_BYTES);
  const end = Math.min(size, start + MAX_READ_BYTES);
  const text = readRange(path, start, end);
  // Only hand out complete lines; a partial last line is read again next time.
  const lastNewline = text.lastIndexOf('\n');
  const complete = lastNewline === -1 ? '' : text.slice(0, lastNewline);
  let out = complete === '' ? [] : complete.split('\n');
  if (!fromCursor && start > 0) out = out.slice(1); // began mid-file: the first line is partial
  if (!fromCursor) out = out.slice(-lines);
  const consumed = lastNewline === -1 ? 0 : Buffer.byteLength(text.slice(0, lastNewline + 1));
  return { lines: out, cursor: { file, offset: start + consumed } };
}

function readRange(path: string, start: number, end: number): string {
  if (end <= start) return '';
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(end - start);
    const n = readSync(fd, buf, 0, buf.length, start);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
