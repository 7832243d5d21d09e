// Meters one response as it passes: SSE streams line by line (only `data:` lines that can carry usage are parsed),
// JSON bodies with a bounded parse at the end. Never buffers a stream, never changes a byte the client receives.
import { readUsage } from './shapes.js';
import type { TokenCounts, UsageReading, UsageRecord } from './types.js';

/** A JSON body up to this size is parsed whole at the end; past it only its last TAIL_BYTES are searched. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;
const TAIL_BYTES = 64 * 1024;
/** An SSE line longer than this is skipped (no provider sends usage in one that long). */
const MAX_LINE_BYTES = 1024 * 1024;
/** `data:` lines worth parsing while the model is not known: they name usage, a model or an event that carries them. */
const INTERESTING = /"usage"|"usageMetadata"|"model"|"message_start"/;
/** Once the model is known, only lines that carry usage are parsed (an OpenAI chunk names the model every time). */
const USAGE = /"usage(?:Metadata)?"/;

export class UsageMeter {
  private readonly sse: boolean;
  private tokens: TokenCounts = {};
  private model: string | null = null;
  /** Anthropic's input without the cache, kept apart until the end (shapes.ts). */
  private uncached: number | undefined;
  private final = false;
  private line: Buffer[] = [];
  private lineBytes = 0;
  private skipping = false;
  private body: Buffer[] = [];
  private bodyBytes = 0;
  /** The JSON body went past MAX_JSON_BYTES: only its tail is kept. */
  private truncated = false;

  /** `injected`: Raypher asked for the usage chunk (include_usage), so a usage read from it is `injected`. */
  constructor(contentType: string | undefined, private readonly injected = false) {
    this.sse = /^text\/event-stream\b/i.test(contentType ?? '');
  }

  push(chunk: Buffer): void {
    if (this.sse) return this.pushLines(chunk);
    this.body.push(chunk);
    this.bodyBytes += chunk.length;
    if (this.bodyBytes <= MAX_JSON_BYTES) return;
    // Past the whole-parse bound keep only the tail.
    this.truncated = true;
    while (this.body.length > 1 && this.bodyBytes - (this.body[0] as Buffer).length >= TAIL_BYTES) this.bodyBytes -= (this.body.shift() as Buffer).length;
  }

  /** What the response said. `complete`: the body ended normally (an interrupted one is never `reported`). */
  result(complete: boolean): UsageRecord {
    if (this.sse) this.endLine();
    else this.readBody();
    const reported = complete && this.final;
    const t = this.tokens;
    const tokens = this.uncached === undefined ? t : { ...t, input: this.uncached + (t.cache_read ?? 0) + (t.cache_write ?? 0) };
    return { tokens, model: this.model, usage_source: reported ? (this.injected ? 'injected' : 'reported') : 'missing' };
  }

  private pushLines(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.addToLine(chunk.subarray(start, nl));
      this.endLine();
      start = nl + 1;
    }
    if (start < chunk.length) this.addToLine(chunk.subarray(start));
  }

  private addToLine(part: Buffer): void {
    if (this.skipping) return;
    this.lineBytes += part.length;
    if (this.lineBytes > MAX_LINE_BYTES) {
      this.skipping = true;
      this.line = [];
      return;
    }
    this.line.push(part);
  }

  private endLine(): void {
    const line = this.skipping || this.line.length === 0 ? '' : Buffer.concat(this.line).toString('utf8');
    this.line = [];
    this.lineBytes = 0;
    this.skipping = false;
    if (!line.startsWith('data:') || !(this.model === null ? INTERESTING : USAGE).test(line)) return;
    this.take(readUsage(parse(line.slice(5).trim())));
  }

  private readBody(): void {
    const all = Buffer.concat(this.body);
    this.body = [];
    if (!this.truncated) return this.take(readUsage(parse(all.toString('utf8'))));
    // Too large to parse whole (a big embeddings answer): the usage object and the model sit at its end.
    const tail = all.subarray(-TAIL_BYTES).toString('utf8');
    const meta = parse(lastObjectAfter(tail, '"usageMetadata"'));
    const doc = meta !== null ? { usageMetadata: meta, modelVersion: lastStringAfter(tail, '"modelVersion"') } : { usage: parse(lastObjectAfter(tail, '"usage"')), model: lastStringAfter(tail, '"model"') };
    const reading = readUsage(doc);
    // A whole body is the response's last word: its usage is final (a Gemini body's finishReason is not in the tail).
    if (reading) this.take({ ...reading, final: reading.tokens !== undefined });
  }

  private take(reading: UsageReading | null): void {
    if (!reading) return;
    if (reading.model !== undefined && this.model === null) this.model = reading.model;
    // Later readings hold running totals (Anthropic's message_delta, Gemini's chunks): they replace, kind by kind.
    if (reading.tokens) this.tokens = { ...this.tokens, ...reading.tokens };
    if (reading.uncached !== undefined) this.uncached = reading.uncached;
    if (reading.final) this.final = true;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The string value of the last `key: "..."` in `text` (a plain one, as a model name is), or undefined. */
function lastStringAfter(text: string, key: string): string | undefined {
  const at = text.lastIndexOf(key);
  if (at === -1) return undefined;
  return /^\s*:\s*"([^"\\]{1,256})"/.exec(text.slice(at + key.length, at + key.length + 300))?.[1];
}

/** The JSON object text that follows the last `key:` in `text` (balanced braces, strings respected), or ''. */
function lastObjectAfter(text: string, key: string): string {
  const at = text.lastIndexOf(key);
  const open = at === -1 ? -1 : text.indexOf('{', at + key.length);
  if (open === -1) return '';
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(open, i + 1);
  }
  return '';
}
