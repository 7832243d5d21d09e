// A request path made safe to put behind a provider's base path: dot segments resolved, escapes out of it refused.
import { RaypherError } from '@raypher/shared/errors';

/** Encoded dots, slashes and backslashes: no provider API needs them, and a server behind may decode them. */
const ENCODED_SEPARATOR = /%(2e|2f|5c)/i;

/** Why a raw path is refused before routing, or null: not origin-form, an empty segment, a backslash, an encoded separator. */
export function pathProblem(path: string): string | null {
  if (!path.startsWith('/')) return 'the path must start with /';
  if (path.includes('//')) return 'the path has an empty segment (//)';
  if (path.includes('\\')) return 'the path has a backslash';
  if (ENCODED_SEPARATOR.test(path)) return 'the path has an encoded dot, slash or backslash';
  return null;
}

/**
 * Resolves `.` and `..` in the part of the path after a provider's prefix (RFC 3986 5.2.4). A `..` that would
 * climb out of it throws ERR_PROXY_BAD_PATH: the request would reach another path of the provider's host.
 */
export function resolveDots(rest: string): string {
  const out: string[] = [];
  const segments = rest.split('/').slice(1);
  for (const [i, s] of segments.entries()) {
    const last = i === segments.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..' && out.pop() === undefined) throw badPath(`'..' would leave the provider's base path`);
      if (last) out.push(''); // "/a/." and "/a/b/.." keep their trailing slash
      continue;
    }
    out.push(s);
  }
  return `/${out.join('/')}`;
}

export function badPath(why: string): RaypherError {
  return new RaypherError('ERR_PROXY_BAD_PATH', `refused request path: ${why}; send a plain path such as /v1/chat/completions`);
}
