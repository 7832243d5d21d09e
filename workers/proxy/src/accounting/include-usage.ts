// OpenAI-compatible chat streams report usage only when asked. Raypher asks for the client that did not
// (stream_options.include_usage) and takes the answer out again, so the client's stream is byte-identical to
// what it would have got: the final usage chunk is dropped and `"usage":null` is cut from every other chunk.

/** The request body with include_usage asked for, or null when there is nothing to add (not a stream, already asked, not JSON). */
export function askForUsage(body: Buffer): Buffer | null {
  // Most requests are not streams: no parse for a body that names no stream key (as such or \u-escaped).
  if (!body.includes('"stream"') && !body.includes('\\u')) return null;
  return withUsageAsked(body, jsonObject(body));
}

/** A request body parsed as a JSON object, or null. */
export function jsonObject(body: Buffer): Record<string, unknown> | null {
  try {
    const doc: unknown = JSON.parse(body.toString('utf8'));
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * `body` (already parsed as `req`) with include_usage asked for, or null. The member is added to the client's own
 * bytes, so every other byte (numbers past 2^53, key order, spacing) goes upstream as the client wrote it. Only a
 * body whose stream_options the text does not show plainly once (an escaped or repeated key) is rewritten whole.
 */
export function withUsageAsked(body: Buffer, req: Record<string, unknown> | null): Buffer | null {
  if (req === null || req.stream !== true) return null;
  const options = req.stream_options;
  if (options !== undefined && options !== null && typeof options !== 'object') return null;
  const current = (options ?? {}) as Record<string, unknown>;
  if (current.include_usage !== undefined) return null; // the client chose: true (it gets usage) or false (it said no)
  return insertAsk(body, options === undefined) ?? Buffer.from(JSON.stringify({ ...req, stream_options: { ...current, include_usage: true } }));
}

const splice = (body: Buffer, from: number, to: number, text: string) => Buffer.concat([body.subarray(0, from), Buffer.from(text), body.subarray(to)]);

/**
 * The ask spliced into the client's bytes: a new member before the top level's closing brace, or include_usage put
 * into the stream_options object (or in place of its null); null when the text does not show it plainly. Positions
 * are found on a latin1 reading (one char per byte): JSON's structural characters are ASCII and never part of a
 * multi-byte UTF-8 sequence.
 */
function insertAsk(body: Buffer, absent: boolean): Buffer | null {
  if (absent) {
    const close = body.lastIndexOf('}');
    return close === -1 ? null : splice(body, close, close, ',"stream_options":{"include_usage":true}');
  }
  const text = body.toString('latin1');
  if (text.indexOf('"stream_options"') !== text.lastIndexOf('"stream_options"')) return null;
  const at = topLevelKey(text, 'stream_options');
  if (at === null) return null;
  if (text.startsWith('null', at.value)) return splice(body, at.value, at.value + 4, '{"include_usage":true}');
  if (text[at.value] !== '{') return null;
  const next = at.value + 1 + text.slice(at.value + 1).search(/\S/);
  return splice(body, at.value + 1, at.value + 1, text[next] === '}' ? '"include_usage":true' : '"include_usage":true,');
}

/** A line this long is passed on as it is (no usage chunk is that long). */
const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Filters the SSE stream of a request Raypher asked usage for. Holds at most one partial line. The meter reads the
 * upstream's bytes before this filter, so it sees the usage chunk this drops.
 */
export class InjectedUsageStripper {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private dropBlank = false;

  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl + 1);
      start = nl + 1;
      if (this.partial.length === 0) out.push(this.line(piece));
      else {
        this.partial.push(piece);
        out.push(this.line(Buffer.concat(this.partial)));
        this.partial = [];
        this.partialBytes = 0;
      }
    }
    if (start < chunk.length) this.hold(chunk.subarray(start), out);
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  /** Whatever is held at the end of the body, as it came. */
  flush(): Buffer {
    const rest = Buffer.concat(this.partial);
    this.partial = [];
    this.partialBytes = 0;
    return rest;
  }

  private hold(part: Buffer, out: Buffer[]): void {
    this.partial.push(part);
    this.partialBytes += part.length;
    if (this.partialBytes > MAX_LINE_BYTES) out.push(this.flush());
  }

  /** One whole line (with its newline): as it came, rewritten, or dropped. */
  private line(line: Buffer): Buffer {
    const text = line.toString('utf8');
    const body = text.replace(/\r?\n$/, '');
    if (this.dropBlank) {
      this.dropBlank = false;
      if (body === '') return EMPTY;
    }
    if (!body.startsWith('data:') || !body.includes('"usage"')) return line;
    const json = body.slice(5).trimStart();
    const usageAt = topLevelKey(json, 'usage');
    if (usageAt === null) return line;
    if (json.startsWith('null', usageAt.value)) return Buffer.from(cut(body, body.length - json.length, usageAt) + text.slice(body.length));
    // The usage chunk Raypher asked for: empty choices and a usage object. Dropped with its blank line.
    if (/"choices"\s*:\s*\[\s*\]/.test(json)) {
      this.dropBlank = true;
      return EMPTY;
    }
    return line;
  }
}

const EMPTY = Buffer.alloc(0);

interface KeyAt {
  /** Where the member starts (the key's opening quote) and where its value starts, in the JSON text. */
  key: number;
  value: number;
}

/** Position of a top-level member `"name":` in a JSON object text, strings and nesting respected; null if absent. */
function topLevelKey(json: string, name: string): KeyAt | null {
  const needle = `"${name}"`;
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      const end = stringEnd(json, i);
      if (depth === 1 && json.startsWith(needle, i) && end === i + needle.length - 1) {
        const colon = json.slice(end + 1).search(/\S/) + end + 1;
        if (json[colon] === ':') return { key: i, value: json.slice(colon + 1).search(/\S/) + colon + 1 };
      }
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return null;
}

function stringEnd(s: string, open: number): number {
  for (let i = open + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return s.length;
}

/** The line with `"usage":null` and one comma next to it removed. `offset`: where the JSON starts in the line. */
function cut(line: string, offset: number, at: KeyAt): string {
  let from = offset + at.key;
  let to = offset + at.value + 'null'.length;
  const before = line.slice(0, from).match(/,\s*$/);
  if (before) from -= before[0].length;
  else {
    const after = line.slice(to).match(/^\s*,/);
    if (after) to += after[0].length;
  }
  return line.slice(0, from) + line.slice(to);
}
