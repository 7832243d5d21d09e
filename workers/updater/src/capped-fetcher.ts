// tuf-js's transport: downloads into the updater's own directory with the signed length as a hard cap and three timeouts.
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Fetcher } from 'tuf-js';
import { DownloadHTTPError, DownloadLengthMismatchError } from 'tuf-js/dist/error.js';

export const FETCH_TIMEOUTS = {
  /** Until the response headers arrive. */
  headersMs: 15_000,
  /** Longest silence between two chunks of the body. */
  idleMs: 30_000,
  /** Whole download, headers to last byte. */
  totalMs: 600_000,
} as const;

export type FetchTimeouts = { readonly [K in keyof typeof FETCH_TIMEOUTS]: number };

/** The transport cut a body off at its signed length: a verification failure, unlike an unreachable server. */
export function sentTooMuch(err: Error): boolean {
  return err instanceof DownloadLengthMismatchError;
}

/** Remembers whether the transport failed, so a check can tell "unreachable" (fetch) from "refused" (verify). */
export class CappedFetcher implements Fetcher {
  lastFailure: Error | null = null;

  constructor(
    private readonly dir: string,
    private readonly timeouts: FetchTimeouts = FETCH_TIMEOUTS,
  ) {}

  async downloadFile<T>(url: string, maxLength: number, handler: (file: string) => Promise<T>): Promise<T> {
    const file = join(this.dir, `${randomUUID()}.part`);
    try {
      this.lastFailure = null;
      try {
        await this.fetchTo(url, file, maxLength);
      } catch (err) {
        this.lastFailure = err instanceof Error ? err : new Error(String(err));
        throw err;
      }
      return await handler(file);
    } finally {
      rmSync(file, { force: true });
    }
  }

  async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    return this.downloadFile(url, maxLength, async (file) => readFileSync(file));
  }

  private async fetchTo(url: string, file: string, maxLength: number): Promise<void> {
    const abort = new AbortController();
    const total = setTimeout(() => abort.abort(new Error(`download of ${url} took longer than ${this.timeouts.totalMs} ms`)), this.timeouts.totalMs);
    let idle = setTimeout(() => abort.abort(new Error(`no response headers from ${url} within ${this.timeouts.headersMs} ms`)), this.timeouts.headersMs);
    const fd = openSync(file, 'wx', 0o600);
    try {
      const response = await fetch(url, { signal: abort.signal, redirect: 'error', headers: { 'accept-encoding': 'identity' } });
      if (!response.ok || response.body === null) throw new DownloadHTTPError(`GET ${url} answered HTTP ${response.status}`, response.status);
      let received = 0;
      const reader = response.body.getReader();
      for (;;) {
        clearTimeout(idle);
        idle = setTimeout(() => abort.abort(new Error(`download of ${url} stalled for ${this.timeouts.idleMs} ms`)), this.timeouts.idleMs);
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
        if (received > maxLength) {
          await reader.cancel();
          throw new DownloadLengthMismatchError(`${url} sent more than its signed length of ${maxLength} bytes`);
        }
        writeSync(fd, value);
      }
    } catch (err) {
      if (abort.signal.aborted && abort.signal.reason instanceof Error) throw abort.signal.reason;
      if (err instanceof DownloadHTTPError || err instanceof DownloadLengthMismatchError) throw err;
      // undici says only "fetch failed"; the reason (refused, reset, redirect) is in the cause.
      const cause = (err as { cause?: { message?: unknown } }).cause;
      const why = typeof cause?.message === 'string' ? cause.message : (err as Error).message;
      throw new Error(`GET ${url} failed: ${why}`, { cause: err });
    } finally {
      clearTimeout(total);
      clearTimeout(idle);
      closeSync(fd);
    }
  }
}
