import { readFileSync } from 'node:fs';
import { CONFIG_SCHEMA } from './schema.js';
import { parseAuthHeader } from './providers.js';
import { parseConfigText } from './read.js';
import { defaultConfig, validateSection } from './validate.js';
import { renderExampleConfig } from './example.js';

describe('config', () => {
  it('has a default for every key and freezes the result', () => {
    const c = defaultConfig();
    expect(c.proxy.listen_port).toBe(8888);
    expect(c.supervisor.heartbeat_timeout_ms).toBe(5000);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.supervisor)).toBe(true);
  });

  it.each([
    ['[proxy]\nlisten_port = "x"', /proxy\.listen_port = "x" is not allowed; expected an integer in 0\.\.65535/],
    ['[proxy]\nlisten_port = 70000', /expected an integer in 0\.\.65535/],
    ['[proxy]\nlisten_prot = 1', /unknown key proxy\.listen_prot; known keys in \[proxy\]/],
    ['[proxxy]\n', /unknown section \[proxxy\]/],
    ['[logging]\nlevel = "loud"', /logging\.level = "loud" is not allowed; expected one of "error", "warn", "info", "debug"/],
    ['[health]\nlisten_addr = "0.0.0.0"', /not a loopback address; Raypher binds loopback only unless health\.allow_remote = true/],
    ['[supervisor]\nheartbeat_interval_ms = 5000\nheartbeat_timeout_ms = 1000', /heartbeat_timeout_ms \(1000\) must be greater/],
    ['[proxy\n', /cfg:1:/],
  ])('rejects %j naming the key and what is allowed', (text, message) => {
    expect(() => parseConfigText(text, 'cfg')).toThrow(message);
  });

  const provider = (fields: Record<string, string>) =>
    `[[proxy.providers]]\n${Object.entries({ name: 'groq', base_url: 'https://api.groq.com/openai', path_prefix: '/groq', auth_header: 'Authorization: Bearer {key}', ...fields }).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n')}\n`;

  it('reads [[proxy.providers]] tables, frozen, after the other [proxy] keys', () => {
    const c = parseConfigText(`[proxy]\nrate_limit = 5\n${provider({})}${provider({ name: 'azure', path_prefix: '/azure/eu', auth_header: 'api-key: {key}' })}`, 'cfg');
    expect(c.proxy.rate_limit).toBe(5);
    expect(c.proxy.providers.map((p) => p.name)).toEqual(['groq', 'azure']);
    expect(Object.isFrozen(c.proxy.providers[0])).toBe(true);
    expect(parseAuthHeader('api-key: {key}')).toEqual({ header: 'api-key', before: '', after: '' });
    expect(parseAuthHeader('Authorization: Bearer {key}')).toEqual({ header: 'authorization', before: 'Bearer ', after: '' });
  });

  it.each([
    [{ name: 'openai' }, /providers\[0\]\.name = "openai" is taken/],
    [{ name: 'Bad Name' }, /providers\[0\]\.name = "Bad Name" is not allowed/],
    [{ path_prefix: '/anthropic' }, /path_prefix = "\/anthropic" is already served/],
    [{ path_prefix: 'groq/' }, /path_prefix = "groq\/" is not allowed; write it like \/groq/],
    [{ base_url: 'ftp://x' }, /base_url = "ftp:\/\/x" is not an http\(s\) URL/],
    [{ auth_header: 'Authorization: Bearer' }, /auth_header = "Authorization: Bearer" is not allowed; write "Header-Name: value" with \{key\}/],
    [{ api: 'gemini' }, /providers\[0\]\.api = "gemini" is not allowed; expected one of "", "openai", "anthropic"/],
    [{ colour: 'blue' }, /unknown key proxy\.providers\[0\]\.colour; known keys: name, base_url, path_prefix, auth_header, api/],
  ])('rejects the provider %j naming the entry and the fix', (fields, message) => {
    expect(() => parseConfigText(`[proxy]\n${provider(fields)}`, 'cfg')).toThrow(message);
  });

  it('rejects a provider with a missing field or written as a plain key', () => {
    expect(() => parseConfigText('[[proxy.providers]]\nname = "x"\n', 'cfg')).toThrow(/proxy\.providers\[0\] has no base_url; each entry needs name, base_url, path_prefix, auth_header/);
    expect(() => parseConfigText('[proxy]\nproviders = "groq"\n', 'cfg')).toThrow(/proxy\.providers must be written as \[\[proxy\.providers\]\] tables/);
  });

  const routes = (...pairs: Array<[string, string]>) => pairs.map(([model, p]) => `[[proxy.model_routes]]\nmodel = ${JSON.stringify(model)}\nprovider = ${JSON.stringify(p)}\n`).join('');

  it('reads [[proxy.model_routes]] to providers that say which API they speak; api is optional on a provider', () => {
    const c = parseConfigText(`[proxy]\n${provider({ api: 'openai' })}${provider({ name: 'plain', path_prefix: '/plain' })}${routes(['llama-*', 'groq'], ['claude-sonnet-4-5', 'anthropic'])}`, 'cfg');
    expect(c.proxy.providers.map((p) => p.api)).toEqual(['openai', '']);
    expect(c.proxy.model_routes).toEqual([{ model: 'llama-*', provider: 'groq' }, { model: 'claude-sonnet-4-5', provider: 'anthropic' }]);
  });

  it.each([
    [[['llama-*', 'nobody']], /model_routes\[0\]\.provider = "nobody" is not a provider here; use openai, anthropic or a \[\[proxy\.providers\]\] name \(groq\)/],
    [[['llama-*', 'groq']], /model_routes\[0\]\.provider = "groq" does not say which API it speaks; add api = "openai" or api = "anthropic"/],
    [[['gemini-*', 'gemini']], /model_routes\[0\]\.provider = "gemini" cannot be a model route: Gemini names the model in the request path/],
    [[['*llama', 'openai']], /model_routes\[0\]\.model = "\*llama" is not allowed; write a model name/],
    [[['a b', 'openai']], /model_routes\[0\]\.model = "a b" is not allowed/],
    [[['gpt-4o', 'openai'], ['gpt-4o', 'anthropic']], /model_routes\[1\]\.model = "gpt-4o" is listed twice/],
  ])('rejects the model routes %j naming the entry and the fix', (pairs, message) => {
    expect(() => parseConfigText(`[proxy]\n${provider({})}${routes(...(pairs as Array<[string, string]>))}`, 'cfg')).toThrow(message);
  });

  it('accepts a remote address only with allow_remote', () => {
    expect(parseConfigText('[health]\nlisten_addr = "0.0.0.0"\nallow_remote = true', 'cfg').health.listen_addr).toBe('0.0.0.0');
  });

  it('refuses a non-loopback listen_addr without allow_remote with ERR_CONFIG_INVALID, for proxy and health alike', () => {
    for (const section of ['proxy', 'health']) {
      expect(() => parseConfigText(`[${section}]\nlisten_addr = "10.0.0.1"`, 'cfg')).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    }
  });

  it('validates one section alone, with its rules, rejecting unknown keys', () => {
    expect(validateSection('watchtower', { scan_interval_secs: 5 }, 'init').scan_interval_secs).toBe(5);
    expect(() => validateSection('supervisor', { heartbeat_interval_ms: 5000 }, 'init')).toThrow(/init: supervisor\.heartbeat_timeout_ms \(5000\) must be greater/);
    expect(() => validateSection('vault', { colour: 1 }, 'init')).toThrow(/unknown key vault\.colour/);
    expect(() => validateSection('vault', { toString: 1 }, 'init')).toThrow(/unknown key vault\.toString/);
  });

  it('ships an example config that matches the schema exactly', () => {
    const shipped = readFileSync(new URL('../../../config/raypher.example.toml', import.meta.url), 'utf8');
    expect(shipped).toBe(renderExampleConfig());
    const parsed = parseConfigText(shipped, 'example');
    expect(parsed).toEqual(defaultConfig());
    for (const [section, keys] of Object.entries(CONFIG_SCHEMA)) {
      expect(shipped).toContain(`[${section}]`);
      for (const k of Object.keys(keys)) expect(shipped).toMatch(new RegExp(`^${k} = `, 'm'));
    }
  });

  it('refuses usage keys that cannot work: a relative price_file, an inject_stream_usage name that is no OpenAI-compatible provider', () => {
    expect(() => parseConfigText('[proxy]\nprice_file = "prices.json"\n', 'cfg')).toThrow(/price_file = "prices.json" is not an absolute path/);
    expect(() => parseConfigText('[proxy]\ninject_stream_usage = "anthropic"\n', 'cfg')).toThrow(/inject_stream_usage names 'anthropic'/);
    expect(() => parseConfigText(`[proxy]\ninject_stream_usage = "claude-proxy"\n${provider({ name: 'claude-proxy', path_prefix: '/cp', api: 'anthropic' })}`, 'cfg')).toThrow(/inject_stream_usage names 'claude-proxy'/);
    const groq = '[[proxy.providers]]\nname = "groq"\nbase_url = "https://api.groq.com/openai"\npath_prefix = "/groq"\nauth_header = "Authorization: Bearer {key}"\n';
    expect(parseConfigText(`[proxy]\ninject_stream_usage = "openai, groq"\nprice_file = "/etc/raypher/prices.json"\n${groq}`, 'cfg').proxy.inject_stream_usage).toBe('openai, groq');
  });
});

