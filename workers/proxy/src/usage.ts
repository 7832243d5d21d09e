// Token usage from a response, for the audit row: the last "usage" objects in the body's tail (JSON or SSE).
// Only the tail is kept, so streaming stays unbuffered; chunks are still passed on untouched.

/** Bytes of the response end that are searched. */
const TAIL_BYTES = 16 * 1024;
const FIELDS = ['prompt_tokens', 'completion_tokens', 'total_tokens', 'input_tokens', 'output_tokens'] as const;

export type Usage = Partial<Record<(typeof FIELDS)[number], number>>;

export class UsageTail {
  private chunks: Buffer[] = [];
  private bytes = 0;

  /** Keeps references to the last TAIL_BYTES of chunks; decoding waits until the end. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.chunks.length > 1 && this.bytes - (this.chunks[0] as Buffer).length >= TAIL_BYTES) this.bytes -= (this.chunks.shift() as Buffer).length;
  }

  /** Merges every usage object in the tail (Anthropic streams split input and output counts). */
  usage(): Usage | null {
    const tail = Buffer.concat(this.chunks).subarray(-TAIL_BYTES).toString('utf8');
    if (!tail.includes('"usage"')) return null;
    let found: Usage | null = null;
    const re = /"usage"\s*:\s*\{([^{}]*)\}/g;
    for (let m = re.exec(tail); m; m = re.exec(tail)) {
      for (const f of FIELDS) {
        const v = new RegExp(`"${f}"\\s*:\\s*(\\d+)`).exec(m[1] ?? '');
        if (v) (found ??= {})[f] = Number(v[1]);
      }
    }
    return found;
  }
}
