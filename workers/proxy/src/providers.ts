// Which upstream a request goes to, which vault key it needs, and how that key is presented.
import { parseAuthHeader, type Config } from '@raypher/shared/config';
import { RaypherError } from '@raypher/shared/errors';

export interface Provider {
  /** Vault key name. */
  name: string;
  /** Path prefix stripped before forwarding ('' keeps the path as is: the OpenAI-compatible /v1 routes). */
  prefix: string;
  base: URL;
  /** Lowercase header name the key travels in. */
  authHeader: string;
  authValue(key: string): string;
}

export interface Route {
  provider: Provider;
  /** Path and query to send upstream (prefix removed, `key=` query parameters dropped). */
  upstreamPath: string;
  /** Path without query, for audit rows. */
  auditPath: string;
}

/** Configured providers first, longest prefix first, so /groq/v1 never falls through to the /v1 route. */
export function providersFrom(proxy: Config['proxy']): Provider[] {
  const configured = proxy.providers.map((p): Provider => {
    const auth = parseAuthHeader(p.auth_header);
    if (!auth) throw new RaypherError('ERR_CONFIG_INVALID', `proxy.providers: auth_header of ${p.name} has no {key}`); // the loader rejects this at boot
    return { name: p.name, prefix: p.path_prefix, base: new URL(p.base_url), authHeader: auth.header, authValue: (k) => `${auth.before}${k}${auth.after}` };
  });
  return [
    ...configured.sort((a, b) => b.prefix.length - a.prefix.length),
    { name: 'anthropic', prefix: '/anthropic', base: new URL(proxy.anthropic_upstream), authHeader: 'x-api-key', authValue: (k) => k },
    { name: 'gemini', prefix: '/gemini', base: new URL(proxy.gemini_upstream), authHeader: 'x-goog-api-key', authValue: (k) => k },
    { name: 'openai', prefix: '', base: new URL(proxy.default_upstream), authHeader: 'authorization', authValue: (k) => `Bearer ${k}` },
  ];
}

export function route(providers: readonly Provider[], url: string): Route | null {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  for (const p of providers) {
    const matches = p.prefix === '' ? path === '/v1' || path.startsWith('/v1/') : path === p.prefix || path.startsWith(`${p.prefix}/`);
    if (!matches) continue;
    const rest = path.slice(p.prefix.length) || '/';
    let query = '';
    if (q !== -1) {
      const params = new URLSearchParams(url.slice(q + 1));
      params.delete('key'); // a key never travels in a query string (Gemini's ?key=)
      query = params.toString();
    }
    const base = p.base.pathname.replace(/\/$/, '');
    return { provider: p, upstreamPath: `${base}${rest}${query ? `?${query}` : ''}`, auditPath: path };
  }
  return null;
}
