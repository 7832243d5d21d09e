// One response's guard against an upstream that echoes the injected key: headers and body masked, where it was found kept.
import { RaypherError } from '@raypher/shared/errors';
import { BodyScrubber, scrubText } from './scrub.js';

type Headers = Record<string, string | string[] | undefined>;

/**
 * The proxy asks for `accept-encoding: identity`. A body compressed anyway could hide the key from the scanner, so
 * it is refused (502) rather than decoded: decoding would cost CPU on every response and open a decompression-bomb
 * surface for a case no provider we route to produces.
 */
export function encodingProblem(headers: Headers): Error | null {
  const enc = headers['content-encoding'];
  const value = (Array.isArray(enc) ? enc.join(',') : (enc ?? '')).trim().toLowerCase();
  if (value === '' || value === 'identity') return null;
  return new RaypherError('ERR_PROXY_UPSTREAM', `the upstream sent a ${value.slice(0, 32)}-encoded body although the proxy asked for identity; Raypher cannot check it for an echoed key, so it is refused`);
}

export class KeyEchoGuard {
  private readonly inHeaders: string[] = [];
  private readonly body: BodyScrubber;

  constructor(private readonly key: string) {
    this.body = new BodyScrubber(key);
  }

  /** The headers to send, each value with the key masked; a header whose name carries the key is dropped. */
  headers(upstream: Headers, drop: ReadonlySet<string>): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [name, v] of Object.entries(upstream)) {
      if (v === undefined || drop.has(name)) continue;
      if (scrubText(name, this.key).found) {
        this.inHeaders.push('header-name');
        continue;
      }
      const values = Array.isArray(v) ? v : [v];
      let found = 0;
      const masked = values.map((x) => {
        const r = scrubText(x, this.key);
        found += r.found;
        return r.value;
      });
      if (found) this.inHeaders.push(`header:${name}`);
      out[name] = Array.isArray(v) ? masked : (masked[0] as string);
    }
    return out;
  }

  filter(chunk: Buffer): Buffer {
    return this.body.push(chunk);
  }

  flush(): Buffer {
    return this.body.end();
  }

  /** Where the key was found (header names, `body`), never the key; empty when it was not echoed. */
  where(): string[] {
    return this.body.found ? [...this.inHeaders, 'body'] : [...this.inHeaders];
  }
}
