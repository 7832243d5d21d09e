// Parses a TOML config once: unknown keys and bad values are errors naming the key; the result is frozen.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import toml from 'toml';
import { RaypherError } from '../errors/index.js';
import { PROVIDER_PATTERN } from '../vocab/index.js';
import { CONFIG_SCHEMA, type Config } from './schema.js';
import type { KeySpec } from './spec.js';

export function defaultConfig(): Config {
  return parseConfigObject({}, 'defaults');
}

export function loadConfigFile(file: string, { required }: { required: boolean }): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required) return defaultConfig();
    throw new RaypherError('ERR_CONFIG_NOT_FOUND', `cannot read config ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; check the path given with --config`);
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, source: string): Config {
  let raw: unknown;
  try {
    raw = toml.parse(text);
  } catch (err) {
    const e = err as { location?: { start?: { line?: number; column?: number } }; message?: string };
    const at = e.location?.start;
    throw new RaypherError('ERR_CONFIG_PARSE', `${source}:${at?.line ?? '?'}:${at?.column ?? '?'}: ${e.message ?? 'invalid TOML'}; fix the TOML syntax there`);
  }
  return parseConfigObject(raw as Record<string, unknown>, source);
}

export function parseConfigObject(raw: Record<string, unknown>, source: string): Config {
  const out: Record<string, Record<string, unknown>> = {};
  for (const name of Object.keys(raw)) {
    if (!(name in CONFIG_SCHEMA)) {
      throw new RaypherError('ERR_CONFIG_UNKNOWN_KEY', `${source}: unknown section [${name}]; known sections: ${Object.keys(CONFIG_SCHEMA).join(', ')}`);
    }
  }
  for (const [section, keys] of Object.entries(CONFIG_SCHEMA) as Array<[string, Record<string, KeySpec<unknown>>]>) {
    const given = raw[section] ?? {};
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      throw new RaypherError('ERR_CONFIG_INVALID', `${source}: [${section}] must be a table`);
    }
    const table = given as Record<string, unknown>;
    for (const k of Object.keys(table)) {
      if (!(k in keys)) {
        throw new RaypherError('ERR_CONFIG_UNKNOWN_KEY', `${source}: unknown key ${section}.${k}; known keys in [${section}]: ${Object.keys(keys).join(', ')}`);
      }
    }
    const values: Record<string, unknown> = {};
    for (const [k, spec] of Object.entries(keys)) {
      values[k] = k in table ? checkValue(`${section}.${k}`, table[k], spec, source) : spec.default;
    }
    out[section] = Object.freeze(values);
  }
  const config = Object.freeze(out) as unknown as Config;
  checkCrossField(config, source);
  return config;
}

function checkValue(name: string, value: unknown, spec: KeySpec<unknown>, source: string): unknown {
  const bad = (allowed: string) =>
    new RaypherError('ERR_CONFIG_INVALID', `${source}: ${name} = ${JSON.stringify(value)} is not allowed; expected ${allowed}`);
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') throw bad('a string');
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw bad('true or false');
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.values?.includes(value)) throw bad(`one of ${spec.values?.map((v) => `"${v}"`).join(', ')}`);
      return value;
    case 'tables':
      return checkTables(name, value, spec, source);
    case 'int':
    case 'number': {
      const range = `${spec.min ?? '-∞'}..${spec.max ?? '∞'}${spec.unit ? ` (${spec.unit})` : ''}`;
      const kind = spec.type === 'int' ? 'an integer' : 'a number';
      if (typeof value !== 'number' || !Number.isFinite(value) || (spec.type === 'int' && !Number.isInteger(value))) throw bad(`${kind} in ${range}`);
      if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) throw bad(`${kind} in ${range}`);
      return value;
    }
  }
}

function checkTables(name: string, value: unknown, spec: KeySpec<unknown>, source: string): unknown {
  const fields = spec.fields ?? {};
  if (!Array.isArray(value)) throw new RaypherError('ERR_CONFIG_INVALID', `${source}: ${name} must be written as [[${name}]] tables`);
  return Object.freeze(
    value.map((item: unknown, i) => {
      const at = `${name}[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new RaypherError('ERR_CONFIG_INVALID', `${source}: ${at} must be a table`);
      const table = item as Record<string, unknown>;
      for (const k of Object.keys(table)) {
        if (!(k in fields)) throw new RaypherError('ERR_CONFIG_UNKNOWN_KEY', `${source}: unknown key ${at}.${k}; known keys: ${Object.keys(fields).join(', ')}`);
      }
      const out: Record<string, unknown> = {};
      for (const [k, field] of Object.entries(fields)) {
        if (!(k in table)) throw new RaypherError('ERR_CONFIG_INVALID', `${source}: ${at} has no ${k}; each entry needs ${Object.keys(fields).join(', ')}`);
        out[k] = checkValue(`${at}.${k}`, table[k], field, source);
      }
      return Object.freeze(out);
    }),
  );
}

function checkCrossField(config: Config, source: string): void {
  for (const section of ['proxy', 'health'] as const) {
    const { listen_addr: addr, allow_remote: remote } = config[section];
    if (isIP(addr) === 0 && addr !== 'localhost') {
      throw new RaypherError('ERR_CONFIG_INVALID', `${source}: ${section}.listen_addr = "${addr}" is not an IP address; use 127.0.0.1 or ::1`);
    }
    if (!remote && !isLoopback(addr)) {
      throw new RaypherError(
        'ERR_CONFIG_INVALID',
        `${source}: ${section}.listen_addr = "${addr}" is not a loopback address; Raypher binds loopback only unless ${section}.allow_remote = true`,
      );
    }
  }
  checkProviders(config.proxy.providers, source);
  const s = config.supervisor;
  if (s.heartbeat_timeout_ms <= s.heartbeat_interval_ms) {
    throw new RaypherError('ERR_CONFIG_INVALID', `${source}: supervisor.heartbeat_timeout_ms (${s.heartbeat_timeout_ms}) must be greater than supervisor.heartbeat_interval_ms (${s.heartbeat_interval_ms})`);
  }
}

/** Names, prefixes and header templates that cannot work are boot errors, not 404s at request time. */
function checkProviders(providers: Config['proxy']['providers'], source: string): void {
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

/**
 * The built-in routes, described like [[proxy.providers]] entries (their names and prefixes are reserved).
 * openai keeps its prefix: /v1/... is forwarded as /v1/... to default_upstream.
 */
export const BUILTIN_PROVIDERS = [
  { name: 'anthropic', prefix: '/anthropic', upstreamKey: 'anthropic_upstream', authHeader: 'x-api-key: {key}', keepPrefix: false },
  { name: 'gemini', prefix: '/gemini', upstreamKey: 'gemini_upstream', authHeader: 'x-goog-api-key: {key}', keepPrefix: false },
  { name: 'openai', prefix: '/v1', upstreamKey: 'default_upstream', authHeader: 'Authorization: Bearer {key}', keepPrefix: true },
] as const;

/** "Authorization: Bearer {key}" → header name (lowercase) and the text around {key}. */
export function parseAuthHeader(template: string): { header: string; before: string; after: string } | null {
  const m = /^([A-Za-z0-9-]+):\s*([^{}\r\n]*)\{key\}([^{}\r\n]*)$/.exec(template);
  return m ? { header: (m[1] as string).toLowerCase(), before: m[2] as string, after: m[3] as string } : null;
}

export function isLoopback(addr: string): boolean {
  return addr === 'localhost' || addr === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(addr);
}

/** Lists dotted keys whose values differ between two configs. */
export function diffConfig(a: Config, b: Config): string[] {
  const changed: string[] = [];
  for (const section of Object.keys(CONFIG_SCHEMA) as Array<keyof Config>) {
    const x = a[section] as Record<string, unknown>;
    const y = b[section] as Record<string, unknown>;
    for (const k of Object.keys(x)) if (JSON.stringify(x[k]) !== JSON.stringify(y[k])) changed.push(`${section}.${k}`);
  }
  return changed;
}

export function isLiveKey(dotted: string): boolean {
  const [section, k] = dotted.split('.') as [string, string];
  const spec = (CONFIG_SCHEMA as unknown as Record<string, Record<string, KeySpec<unknown>>>)[section]?.[k];
  return spec?.live === true;
}
