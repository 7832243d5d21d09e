// Which upstream a request goes to, which vault key it needs, and how that key is presented.
import { apiOf, BUILTIN_PROVIDERS, parseAuthHeader, type Config, type ProviderApi } from '@raypher/shared/config';
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
  /** The API it speaks (built in, or declared by its [[proxy.providers]] entry); null: not declared. */
  api: ProviderApi | null;
}

export interface Route {
  provider: Provider;
  /** Path and query to send upstream (prefix removed, `key=` query parameters dropped). */
  upstreamPath: string;
  /** Path without query, for audit rows: what the client sent (dots resolved). */
  auditPath: string;
  /** The path below the provider's prefix (dots resolved) and the query without `key=`: what a model route re-bases. */
  after: string;
  query: string;
}

/** Configured providers first, longest prefix first, so /groq/eu wins over /groq; then the built-in routes. */
export function providersFrom(proxy: Config['proxy']): Provider[] {
  const inject = new Set(proxy.inject_stream_usage.split(',').map((n) => n.trim()));
  const make = (name: string, prefix: string, baseUrl: string, template: string, keepPrefix: boolean) => provider(name, prefix, baseUrl, template, keepPrefix, inject.has(name), apiOf(proxy, name));
  const configured = proxy.providers.map((p) => make(p.name, p.path_prefix, p.base_url, p.auth_header, false));
  const builtin = BUILTIN_PROVIDERS.map((b) => make(b.name, b.prefix, proxy[b.upstreamKey], b.authHeader, b.keepPrefix));
  return [...configured.sort((a, b) => b.prefix.length - a.prefix.length), ...builtin];
}

function provider(name: string, prefix: string, baseUrl: string, template: string, keepPrefix: boolean, injectUsage: boolean, api: ProviderApi | null): Provider {
  const auth = parseAuthHeader(template);
  if (!auth) throw new RaypherError('ERR_CONFIG_INVALID', `proxy.providers: auth_header of ${name} has no {key}`); // the loader rejects this at boot
  return { name, prefix, keepPrefix, base: new URL(baseUrl), authHeader: auth.header, authValue: (k) => `${auth.before}${k}${auth.after}`, injectUsage, api };
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
    let query = '';
    if (q !== -1) {
      const params = new URLSearchParams(url.slice(q + 1));
      params.delete('key'); // a key never travels in a query string (Gemini's ?key=)
      query = params.toString();
    }
    return { ...at(p, after, query), auditPath: `${p.prefix}${after}` };
  }
  return null;
}

/**
 * The same request sent to another provider that speaks the same API ([[proxy.model_routes]]): the part below the
 * prefix is put below the other provider's base, as its own path would have been (openai keeps /v1). The audit path
 * stays what the client sent.
 */
export function reroute(r: Route, to: Provider): Route {
  return { ...at(to, r.after, r.query), auditPath: r.auditPath };
}

function at(p: Provider, after: string, query: string): Omit<Route, 'auditPath'> {
  const rest = p.keepPrefix ? `${p.prefix}${after}` : after || '/';
  const base = p.base.pathname.replace(/\/$/, '');
  return { provider: p, upstreamPath: `${base}${rest}${query ? `?${query}` : ''}`, after, query };
}
