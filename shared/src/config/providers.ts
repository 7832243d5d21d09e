// Provider vocabulary of the config: the built-in routes, auth header templates, and the [[proxy.providers]] rules.
import { RaypherError } from '../errors/index.js';
import { PROVIDER_PATTERN } from '../vocab/index.js';
import type { Config } from './schema.js';

/**
 * The built-in routes, described like [[proxy.providers]] entries (their names and prefixes are reserved).
 * openai keeps its prefix: /v1/... is forwarded as /v1/... to default_upstream.
 */
export const BUILTIN_PROVIDERS = [
  { name: 'anthropic', prefix: '/anthropic', upstreamKey: 'anthropic_upstream', authHeader: 'x-api-key: {key}', keepPrefix: false, api: 'anthropic' },
  { name: 'gemini', prefix: '/gemini', upstreamKey: 'gemini_upstream', authHeader: 'x-goog-api-key: {key}', keepPrefix: false, api: 'gemini' },
  { name: 'openai', prefix: '/v1', upstreamKey: 'default_upstream', authHeader: 'Authorization: Bearer {key}', keepPrefix: true, api: 'openai' },
] as const;

/**
 * The API a provider speaks, so a request written for one can go to another provider that speaks it too
 * ([[proxy.model_routes]]). Gemini names its model in the path, so it is never a model route's target.
 */
export type ProviderApi = (typeof BUILTIN_PROVIDERS)[number]['api'];

/** The API of a provider by name: built in, or what its [[proxy.providers]] entry declares (null: not declared). */
export function apiOf(proxy: Pick<Config['proxy'], 'providers'>, name: string): ProviderApi | null {
  const builtin = BUILTIN_PROVIDERS.find((b) => b.name === name);
  if (builtin) return builtin.api;
  const api = proxy.providers.find((p) => p.name === name)?.api;
  return api === 'openai' || api === 'anthropic' ? api : null;
}

/** A model route's pattern: a name, or a prefix ending in one `*`; no other `*`, no whitespace. */
const MODEL_PATTERN = /^[^\s*]{1,256}\*?$/;

/** "Authorization: Bearer {key}" → header name (lowercase) and the text around {key}. */
export function parseAuthHeader(template: string): { header: string; before: string; after: string } | null {
  const m = /^([A-Za-z0-9-]+):\s*([^{}\r\n]*)\{key\}([^{}\r\n]*)$/.exec(template);
  return m ? { header: (m[1] as string).toLowerCase(), before: m[2] as string, after: m[3] as string } : null;
}

/** Names, prefixes and header templates that cannot work are boot errors, not 404s at request time. */
export function checkProviders(providers: Config['proxy']['providers'], source: string): void {
  const names = new Set<string>(BUILTIN_PROVIDERS.map((p) => p.name));
  const prefixes = new Set<string>(BUILTIN_PROVIDERS.map((p) => p.prefix));
  providers.forEach((p, i) => {
    const bad = (key: string, why: string) => new RaypherError('ERR_CONFIG_INVALID', `${source}: proxy.providers[${i}].${key} = ${JSON.stringify((p as Record<string, string>)[key])} ${why}`);
    if (!PROVIDER_PATTERN.test(p.name)) throw bad('name', 'is not allowed; use lowercase letters, digits, - and _ (it is also the vault key name)');
    if (names.has(p.name)) throw bad('name', `is taken (built in: ${BUILTIN_PROVIDERS.map((b) => b.name).join(', ')}); choose another name`);
    names.add(p.name);
    if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(p.path_prefix)) throw bad('path_prefix', 'is not allowed; write it like /groq (a leading slash, no trailing slash)');
    if (prefixes.has(p.path_prefix)) throw bad('path_prefix', 'is already served by another provider; choose another prefix');
    prefixes.add(p.path_prefix);
    let url: URL | null = null;
    try {
      url = new URL(p.base_url);
    } catch {
      /* reported below */
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.username) throw bad('base_url', 'is not an http(s) URL without query or credentials');
    if (!parseAuthHeader(p.auth_header)) throw bad('auth_header', 'is not allowed; write "Header-Name: value" with {key} in the value, e.g. "x-api-key: {key}"');
  });
}

/** The usage keys: price_file is absolute; inject_stream_usage names OpenAI-compatible providers: the built-in openai or a [[proxy.providers]] entry not declared api = "anthropic" (Anthropic and Gemini streams always report usage). */
export function checkUsageKeys(proxy: Pick<Config['proxy'], 'inject_stream_usage' | 'providers' | 'price_file'>, source: string): void {
  if (proxy.price_file !== '' && !proxy.price_file.startsWith('/')) throw new RaypherError('ERR_CONFIG_INVALID', `${source}: proxy.price_file = ${JSON.stringify(proxy.price_file)} is not an absolute path; write the full path of the JSON price table`);
  const allowed = new Set(['openai', ...proxy.providers.filter((p) => p.api !== 'anthropic').map((p) => p.name)]);
  for (const name of proxy.inject_stream_usage.split(',').map((n) => n.trim()).filter((n) => n !== '')) {
    if (!allowed.has(name)) throw new RaypherError('ERR_CONFIG_INVALID', `${source}: proxy.inject_stream_usage names '${name}', which is not an OpenAI-compatible provider here; use openai or a [[proxy.providers]] name, or leave it empty`);
  }
}

/** Model routes name a known provider that speaks a routable API (openai or anthropic), and each model once. */
export function checkModelRoutes(proxy: Pick<Config['proxy'], 'model_routes' | 'providers'>, source: string): void {
  const seen = new Set<string>();
  proxy.model_routes.forEach((r, i) => {
    const bad = (key: 'model' | 'provider', why: string) => new RaypherError('ERR_CONFIG_INVALID', `${source}: proxy.model_routes[${i}].${key} = ${JSON.stringify(r[key])} ${why}`);
    if (!MODEL_PATTERN.test(r.model)) throw bad('model', 'is not allowed; write a model name ("gpt-4o") or a prefix ending in * ("llama-3.3-*"), without spaces');
    if (seen.has(r.model)) throw bad('model', 'is listed twice; keep one route per model');
    seen.add(r.model);
    const known = BUILTIN_PROVIDERS.some((b) => b.name === r.provider) || proxy.providers.some((p) => p.name === r.provider);
    if (!known) throw bad('provider', `is not a provider here; use openai, anthropic or a [[proxy.providers]] name (${proxy.providers.map((p) => p.name).join(', ') || 'none configured'})`);
    const api = apiOf(proxy, r.provider);
    if (api === null) throw bad('provider', `does not say which API it speaks; add api = "openai" or api = "anthropic" to its [[proxy.providers]] entry`);
    if (api === 'gemini') throw bad('provider', 'cannot be a model route: Gemini names the model in the request path; send Gemini requests to /gemini/...');
  });
}
