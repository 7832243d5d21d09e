// A deterministic tar writer: given entries in order it always yields the same bytes (owner 0, fixed mtime, fixed modes).
const BLOCK = 512;

export interface TarEntry {
  /** POSIX relative path without a leading slash; directories have no trailing slash here. */
  readonly path: string;
  readonly type: 'file' | 'dir';
  readonly executable?: boolean;
  readonly data?: Buffer;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, prefix: string, size: number, mode: number, type: string, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest, 0);
}

/** ustar name/prefix split at a slash, or null when the path needs a pax record. */
function split(path: string): { name: string; prefix: string } | null {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(name) <= 100 && Buffer.byteLength(prefix) <= 155) return { name, prefix };
  }
  return null;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (`${length}${body}`.length !== length) length = Buffer.byteLength(`${length}${body}`);
  return Buffer.from(`${length}${body}`, 'utf8');
}

/** The tar stream (without compression) for entries in the given order. */
export function tarBytes(entries: readonly TarEntry[], mtimeSecs: number): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const path = entry.type === 'dir' ? `${entry.path}/` : entry.path;
    const data = entry.data ?? Buffer.alloc(0);
    const size = entry.type === 'file' ? data.length : 0;
    const mode = entry.type === 'dir' || entry.executable === true ? 0o755 : 0o644;
    let fields = split(path);
    if (fields === null) {
      const pax = paxRecord('path', path);
      parts.push(header('PaxHeader', '', pax.length, 0o644, 'x', mtimeSecs), pax, padding(pax.length));
      fields = { name: path.slice(-100).replace(/^[^/]*\//, ''), prefix: '' };
    }
    parts.push(header(fields.name, fields.prefix, size, mode, entry.type === 'dir' ? '5' : '0', mtimeSecs));
    if (size > 0) parts.push(data, padding(size));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}
