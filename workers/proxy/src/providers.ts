// Which upstream a request goes to, which vault key it needs, and how that key is presented.
import { BUILTIN_PROVIDERS, parseAuthHeader, type Config } from '@raypher/shared/config';
import { RaypherError } from '@raypher/shared/errors';
import { badPath, pathProblem, resolveDots } from './request-path.js';

export interface Provider {
  /** Vault key name. */
  name: string;
  /** Path prefix this provider serves. */
  prefix: string;
  /** Forward the prefix too (the OpenAI-compatible /v1 routes) instead of stripping it. */
  keepPrefix: boolean;
  base: URL;
  /** Lowercase header name the key travels in. */
  authHeader: string;
  authValue(key: string): string;
  /** An OpenAI-compatible API whose chat streams get stream_options.include_usage when the client did not ask ([proxy] inject_stream_usage). */
  injectUsage: boolean;
}

export interface Route {
  provider: Provider;
  /** Path and query to send upstream (prefix removed, `key=` query parameters dropped). */
  upstreamPath: string;
  /** Path without query, for audit rows. */
  auditPath: string;
}

/** Configured providers first, longest prefix first, so /groq/eu wins over /groq; then the built-in routes. */
export function providersFrom(proxy: Config['proxy']): Provider[] {
  const inject = new Set(proxy.inject_stream_usage.split(',').map((n) => n.trim()));
  const configured = proxy.providers.map((p) => provider(p.name, p.path_prefix, p.base_url, p.auth_header, false, inject.has(p.name)));
  const builtin = BUILTIN_PROVIDERS.map((b) => provider(b.name, b.prefix, proxy[b.upstreamKey], b.authHeader, b.keepPrefix, inject.has(b.name)));
  return [...configured.sort((a, b) => b.prefix.length - a.prefix.length), ...builtin];
}

function provider(name: string, prefix: string, baseUrl: string, template: string, keepPrefix: boolean, injectUsage: boolean): Provider {
  const auth = parseAuthHeader(template);
  if (!auth) throw new RaypherError('ERR_CONFIG_INVALID', `proxy.providers: auth_header of ${name} has no {key}`); // the loader rejects this at boot
  return { name, prefix, keepPrefix, base: new URL(baseUrl), authHeader: auth.header, authValue: (k) => `${auth.before}${k}${auth.after}`, injectUsage };
}

/** The route for a request, or null when no provider serves it. A path that would leave the provider's base path throws ERR_PROXY_BAD_PATH. */
export function route(providers: readonly Provider[], url: string): Route | null {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const problem = pathProblem(path);
  if (problem) throw badPath(problem);
  for (const p of providers) {
    if (path !== p.prefix && !path.startsWith(`${p.prefix}/`)) continue;
    const tail = path.slice(p.prefix.length);
    const after = tail ? resolveDots(tail) : '';
    const rest = p.keepPrefix ? `${p.prefix}${after}` : after || '/';
    let query = '';
    if (q !== -1) {
      const params = new URLSearchParams(url.slice(q + 1));
      params.delete('key'); // a key never travels in a query string (Gemini's ?key=)
      query = params.toString();
    }
    const base = p.base.pathname.replace(/\/$/, '');
    return { provider: p, upstreamPath: `${base}${rest}${query ? `?${query}` : ''}`, auditPath: `${p.prefix}${after}` };
  }
  return null;
}
