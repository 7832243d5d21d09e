// Finds the injected key in what the upstream sends back (raw, JSON-escaped or percent-encoded) and masks it, streaming.
// A hostile or misconfigured upstream that echoes request headers must never hand the key to the agent.

/** What replaces an echoed key; padded or cut to the length it replaces, so a content-length stays true. */
export const SCRUB_MARKER = '[REDACTED-BY-RAYPHER]';
const PAD = 0x2a; // '*'

const BACKSLASH = 0x5c;
const PERCENT = 0x25;
const LOWER_U = 0x75;
/** Characters JSON may write as a two-character escape (`\/`, `\\`, `\"`). */
const SHORT_ESCAPED = new Set([0x2f, 0x5c, 0x22]);

/** A match attempt at one position: the end of a whole key, no match, or input ended inside a possible key. */
const NO_MATCH = -1;
const PARTIAL = -2;

/** The value of a hex digit, or -1. */
function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

/** Whether buf[at..at+digits.length) is (so far, where the input ends first) the hex form of `want`. */
function hexIs(buf: Uint8Array, at: number, want: number, width: 2 | 4): number {
  for (let j = 0; j < width; j++) {
    if (at + j >= buf.length) return PARTIAL;
    const shift = 4 * (width - 1 - j);
    if (hexValue(buf[at + j] as number) !== ((want >> shift) & 0xf)) return NO_MATCH;
  }
  return at + width;
}

/**
 * Matches the key at buf[start], each key byte written as itself, as `\u00XX` (JSON), as `%XX` (URL) or, for
 * `/`, `\` and `"`, as a JSON short escape. Returns the end offset, NO_MATCH, or PARTIAL when buf ends first.
 */
function matchAt(buf: Uint8Array, start: number, key: Uint8Array): number {
  let i = start;
  for (let k = 0; k < key.length; k++) {
    if (i >= buf.length) return PARTIAL;
    const want = key[k] as number;
    const b = buf[i] as number;
    if (b === want) {
      i++;
      continue;
    }
    let next: number;
    if (b === BACKSLASH) {
      if (i + 1 >= buf.length) return PARTIAL;
      const e = buf[i + 1] as number;
      if (e === want && SHORT_ESCAPED.has(want)) next = i + 2;
      else if (e === LOWER_U) next = hexIs(buf, i + 2, want, 4);
      else return NO_MATCH;
    } else if (b === PERCENT) next = hexIs(buf, i + 1, want, 2);
    else return NO_MATCH;
    if (next < 0) return next;
    i = next;
  }
  return i;
}

/** Could a key (in any handled form) start with this byte? */
const startsCandidate = (b: number, first: number) => b === first || b === BACKSLASH || b === PERCENT;

function marker(length: number): Buffer {
  const out = Buffer.alloc(length, PAD);
  out.write(SCRUB_MARKER.slice(0, length), 'latin1');
  return out;
}

export interface ScanResult {
  /** The bytes safe to send now (the input itself when nothing was found or held). */
  out: Buffer;
  /** Keys masked in this piece. */
  found: number;
  /** Bytes at the end that might begin a key, kept back until the next piece decides. */
  held: Buffer;
}

/** One scan over `buf`; with `final` no bytes are held (the input is complete). */
function scan(buf: Buffer, key: Uint8Array, final: boolean): ScanResult {
  const first = key[0] as number;
  let parts: Buffer[] | null = null;
  let from = 0;
  let found = 0;
  for (let p = 0; p < buf.length; p++) {
    if (!startsCandidate(buf[p] as number, first)) continue;
    const end = matchAt(buf, p, key);
    if (end === NO_MATCH) continue;
    if (end === PARTIAL) {
      if (final) continue;
      const held = Buffer.from(buf.subarray(p)); // a copy: the chunk's memory is not ours to keep
      const out = parts ? Buffer.concat([...parts, buf.subarray(from, p)]) : buf.subarray(0, p);
      return { out, found, held };
    }
    parts ??= [];
    parts.push(buf.subarray(from, p), marker(end - p));
    found++;
    from = end;
    p = end - 1;
  }
  const out = parts ? Buffer.concat([...parts, buf.subarray(from)]) : buf;
  return { out, found, held: EMPTY };
}

const EMPTY = Buffer.alloc(0);

/** Masks every key in a complete value (a header value, a trailer). */
export function scrubText(value: string, key: string): { value: string; found: number } {
  // Any match has its first two characters either both as they are or at least one escaped: most values have neither.
  if (!value.includes(key.slice(0, 2)) && !value.includes('\\') && !value.includes('%')) return { value, found: 0 };
  const r = scan(Buffer.from(value, 'latin1'), Buffer.from(key, 'latin1'), true);
  return { value: r.found ? r.out.toString('latin1') : value, found: r.found };
}

/**
 * A response body, piece by piece: each push returns what may go to the client now. Only the bytes at a
 * piece's end that could still begin a key are held, and they go out as soon as the next piece (or end()) rules
 * the key out, so an SSE stream without a key is passed through with no delay.
 */
export class BodyScrubber {
  private held: Buffer = EMPTY;
  private readonly key: Buffer;
  /** Keys masked so far. */
  found = 0;

  constructor(key: string) {
    this.key = Buffer.from(key, 'latin1');
  }

  push(chunk: Buffer): Buffer {
    const input = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    const r = scan(input, this.key, false);
    this.held = r.held;
    this.found += r.found;
    return r.out;
  }

  /** The rest, at the end of the body. */
  end(): Buffer {
    const r = scan(this.held, this.key, true);
    this.held = EMPTY;
    this.found += r.found;
    return r.out;
  }
}
