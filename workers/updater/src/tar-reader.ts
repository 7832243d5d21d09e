// A strict tar reader for bundles: only regular files and directories under relative, normalised paths; anything else is refused.
import { gunzipSync } from 'node:zlib';

const BLOCK = 512;

export interface ArchiveEntry {
  readonly path: string;
  readonly type: 'file' | 'dir';
  readonly executable: boolean;
  readonly data: Buffer;
}

export interface ArchiveLimits {
  /** Cap on the decompressed tar stream, so a small download cannot expand without bound. */
  readonly maxBytes: number;
  readonly maxEntries: number;
}

/** Thrown for an unsafe or malformed archive; the caller turns it into ERR_UPDATE_ARCHIVE. */
export class UnsafeArchiveError extends Error {
  override name = 'UnsafeArchiveError';
}

const TYPE_NAMES: Record<string, string> = { '1': 'a hard link', '2': 'a symbolic link', '3': 'a character device', '4': 'a block device', '6': 'a FIFO', '7': 'a contiguous file', g: 'a global pax header', L: 'a GNU long name', K: 'a GNU long link' };

function field(h: Buffer, start: number, length: number): string {
  const raw = h.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function number(h: Buffer, start: number, length: number, what: string): number {
  const s = field(h, start, length).trim();
  if (!/^[0-7]*$/.test(s)) throw new UnsafeArchiveError(`tar header has a malformed ${what} (${JSON.stringify(s)})`);
  return s === '' ? 0 : parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0);
  return sum === number(h, 148, 8, 'checksum');
}

/** Rejects absolute paths, drive letters, backslashes, empty, '.' and '..' components. */
export function safeRelativePath(raw: string): string {
  const path = raw.endsWith('/') ? raw.slice(0, -1) : raw;
  if (path === '' || path.includes('\0')) throw new UnsafeArchiveError(`entry ${JSON.stringify(raw)} has an empty or NUL path`);
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw new UnsafeArchiveError(`entry ${JSON.stringify(raw)} is an absolute path`);
  if (path.includes('\\')) throw new UnsafeArchiveError(`entry ${JSON.stringify(raw)} contains a backslash`);
  for (const part of path.split('/')) {
    if (part === '..') throw new UnsafeArchiveError(`entry ${JSON.stringify(raw)} climbs out with '..'`);
    if (part === '' || part === '.') throw new UnsafeArchiveError(`entry ${JSON.stringify(raw)} is not a normalised path`);
  }
  return path;
}

function paxPath(data: Buffer): string | undefined {
  let path: string | undefined;
  for (let i = 0; i < data.length; ) {
    const space = data.indexOf(0x20, i);
    const length = space === -1 ? NaN : Number(data.subarray(i, space).toString('ascii'));
    if (!Number.isSafeInteger(length) || length <= 0 || i + length > data.length) throw new UnsafeArchiveError('malformed pax header');
    const record = data.subarray(space + 1, i + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') path = value;
    else if (key === 'linkpath') throw new UnsafeArchiveError(`a pax header names a link target (${JSON.stringify(value)}); links are not allowed`);
    i += length;
  }
  return path;
}

/** Decompresses (capped) and parses a .tgz; throws UnsafeArchiveError before anything is written. */
export function readBundleArchive(gz: Buffer, limits: ArchiveLimits): ArchiveEntry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(gz, { maxOutputLength: limits.maxBytes });
  } catch (err) {
    const tooLarge = err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new UnsafeArchiveError(tooLarge ? `the archive expands beyond the ${limits.maxBytes}-byte cap` : `not a gzip stream: ${(err as Error).message}`);
  }
  const entries: ArchiveEntry[] = [];
  const seen = new Set<string>();
  let nextPath: string | undefined;
  for (let offset = 0; offset + BLOCK <= tar.length; ) {
    const h = tar.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) break;
    if (!checksumOk(h)) throw new UnsafeArchiveError(`tar header at byte ${offset} has a bad checksum`);
    const size = number(h, 124, 12, 'size');
    const type = field(h, 156, 1) || '0';
    const data = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    if (data.length !== size) throw new UnsafeArchiveError(`tar entry at byte ${offset} is truncated`);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    const prefix = field(h, 345, 155);
    const rawPath = nextPath ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    if (type === 'x') {
      nextPath = paxPath(data);
      continue;
    }
    nextPath = undefined;
    if (type !== '0' && type !== '5') throw new UnsafeArchiveError(`entry ${JSON.stringify(rawPath)} is ${TYPE_NAMES[type] ?? `of tar type ${JSON.stringify(type)}`}${type === '1' || type === '2' ? ` to ${JSON.stringify(field(h, 157, 100))}` : ''}; bundles hold only files and directories`);
    const path = safeRelativePath(rawPath);
    if (seen.has(path)) throw new UnsafeArchiveError(`entry ${JSON.stringify(path)} appears twice`);
    seen.add(path);
    if (entries.length >= limits.maxEntries) throw new UnsafeArchiveError(`the archive has more than ${limits.maxEntries} entries`);
    const mode = number(h, 100, 8, 'mode');
    entries.push({ path, type: type === '5' ? 'dir' : 'file', executable: (mode & 0o100) !== 0, data: type === '5' ? Buffer.alloc(0) : data });
  }
  return entries;
}
