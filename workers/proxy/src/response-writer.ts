// The one place a client's response is written: error answers, and a forwarded response's head, body chunks (through
// the key scrubber, with backpressure), end and failure.
import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '@raypher/shared/errors';
import type { KeyEchoGuard } from './key-echo.js';
import type { Flow } from './upstream.js';

/** Upstream response headers that never reach the client: hop-by-hop ones, and trailers (the key could hide there). */
const DROP_RESPONSE: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'transfer-encoding', 'trailer', 'upgrade', 'proxy-authenticate']);

/** An error answer with the JSON body `{error: {code, message, ...extra}}`; once a head went out, the response is cut instead. */
export function writeError(res: ServerResponse, status: number, code: ErrorCode, message: string, t0: number, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify({ error: { code, message, ...extra } });
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-raypher-overhead-ms': (performance.now() - t0).toFixed(3) });
  res.end(body);
}

/** A filter the body passes before the guard (the injected usage chunk's stripper); it may hold back a partial line. */
export interface BodyFilter {
  push(chunk: Buffer): Buffer;
  flush(): Buffer;
}

/** A forwarded response: every byte the client gets passes the guard, which masks an echoed key. */
export class ResponseStream {
  constructor(
    private readonly res: ServerResponse,
    private readonly guard: KeyEchoGuard,
    private readonly requestId: string,
    /** Time inside Raypher before the upstream request, in ms. */
    private readonly overheadMs: number,
    private readonly filter: BodyFilter | null = null,
  ) {}

  head(status: number, upstream: Record<string, string | string[] | undefined>): void {
    const out = this.guard.headers(upstream, DROP_RESPONSE);
    out['x-raypher-request-id'] = this.requestId;
    out['x-raypher-overhead-ms'] = this.overheadMs.toFixed(3);
    this.res.writeHead(status, out);
  }

  /** Writes what the scrubber lets through now (it may hold a few bytes back) and returns it; a full socket pauses the upstream. */
  chunk(chunk: Buffer, flow: Flow): Buffer {
    const out = this.guard.filter(this.filter ? this.filter.push(chunk) : chunk);
    if (out.length > 0 && !this.res.write(out)) {
      flow.pause();
      this.res.once('drain', () => flow.resume());
    }
    return out;
  }

  /**
   * Ends the response. `beforeLastByte` gets what the scrubber still held and the sending of it, which it calls once
   * the completion is journaled: a response the client has in full is already on record as complete
   * (tests/audit/journal.test.ts kills the proxy right after).
   */
  end(beforeLastByte: (rest: Buffer, lastByte: () => void) => void): void {
    const held = this.filter?.flush();
    const rest = held && held.length > 0 ? Buffer.concat([this.guard.filter(held), this.guard.flush()]) : this.guard.flush();
    beforeLastByte(rest, () => this.res.end(rest.length > 0 ? rest : undefined));
  }

  /** The head went out and the upstream failed: the client sees a cut response, never a second status. */
  cut(err: Error): void {
    this.res.destroy(err);
  }
}
