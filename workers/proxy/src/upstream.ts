// The upstream side of the hot path: one undici keep-alive pool per origin, bodies streamed both ways.
// undici was picked on numbers: 1.21x node:http's c=16 throughput and 0.04 ms less at c=1 (docs/benchmarks.md).
import type { Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';

/** The upstream's flow control (undici's controller): paused while the client's socket buffer is full. */
export interface Flow {
  pause(): void;
  resume(): void;
}

/** What the upstream hands up; response-writer.ts writes it to the client. */
export interface UpstreamEvents {
  /** Status and headers arrived; return an error to refuse the response (nothing was written yet). */
  onHeaders(status: number, headers: Record<string, string | string[] | undefined>): Error | null;
  /** A body chunk, with the flow control to pause the upstream while the client is slow. */
  onData(chunk: Buffer, flow: Flow): void;
  /** The body is complete. Trailers are never handed up (a hostile upstream could put the key there). */
  onEnd(): void;
  /** Failed before or during the response; `timeout` means no headers within the limit. */
  onError(err: Error & { code?: string }, timeout: boolean): void;
}

export interface UpstreamRequest {
  base: URL;
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  /** The client's body, streamed, or null when it has none. */
  body: Readable | AsyncIterable<Buffer> | Buffer | null;
  headersTimeoutMs: number;
}

/** Aborts one exchange; onError then gets `reason`. */
export type Abort = (reason: Error) => void;

export class Upstreams {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly idleMs: number) {}

  send(r: UpstreamRequest, x: UpstreamEvents): Abort {
    let controller: Dispatcher.DispatchController | null = null;
    let abortedEarly: Error | null = null;
    let done = false;
    this.pool(r.base).dispatch(
      // bodyTimeout 0: an SSE stream may stay quiet for minutes between events.
      // undici takes an AsyncIterable body (documented for dispatch; its .d.ts lists Readable only, as of 7.30).
      { path: r.path, method: r.method as Dispatcher.HttpMethod, headers: r.headers, body: r.body as Dispatcher.DispatchOptions['body'], headersTimeout: r.headersTimeoutMs, bodyTimeout: 0 },
      {
        onRequestStart(c) {
          controller = c;
          if (abortedEarly) c.abort(abortedEarly);
        },
        onResponseStart(c, status, headers) {
          if (status < 200) return; // 1xx are interim
          const refused = x.onHeaders(status, headers as Record<string, string | string[] | undefined>);
          if (refused) c.abort(refused);
        },
        onResponseData(c, chunk) {
          x.onData(chunk, c);
        },
        onResponseEnd() {
          done = true;
          x.onEnd();
        },
        onResponseError(_c, err: Error & { code?: string }) {
          if (done) return;
          done = true;
          x.onError(err, err.code === 'UND_ERR_HEADERS_TIMEOUT');
        },
      },
    );
    return (reason) => {
      if (controller) controller.abort(reason);
      else abortedEarly = reason;
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
    this.pools.clear();
  }

  private pool(base: URL): Pool {
    let p = this.pools.get(base.origin);
    if (!p) {
      p = new Pool(base.origin, { connections: null, pipelining: 1, keepAliveTimeout: this.idleMs, keepAliveMaxTimeout: this.idleMs });
      this.pools.set(base.origin, p);
    }
    return p;
  }
}
