import { parseConfigText } from '@raypher/shared/config';
import { providersFrom, route } from './providers.js';

const config = parseConfigText(
  `[proxy]
default_upstream = "http://up.test/base"
[[proxy.providers]]
name = "groq"
base_url = "http://groq.test/openai/"
path_prefix = "/groq"
auth_header = "Authorization: Bearer {key}"
[[proxy.providers]]
name = "groq-eu"
base_url = "http://eu.groq.test"
path_prefix = "/groq/eu"
auth_header = "api-key: {key}"
`,
  'test',
);
const providers = providersFrom(config.proxy);

describe('routing', () => {
  it.each([
    ['/v1/chat/completions?x=1', 'openai', '/base/v1/chat/completions?x=1'],
    ['/anthropic/v1/messages/count_tokens', 'anthropic', '/v1/messages/count_tokens'],
    ['/gemini/v1beta/models?key=leak&alt=sse', 'gemini', '/v1beta/models?alt=sse'],
    ['/groq/v1/chat/completions', 'groq', '/openai/v1/chat/completions'],
    ['/groq/eu/v1/models', 'groq-eu', '/v1/models'],
    ['/groqx/v1/models', null, null],
    ['/elsewhere', null, null],
  ])('%s → %s %s', (url, name, upstreamPath) => {
    const r = route(providers, url);
    expect(r?.provider.name ?? null).toBe(name);
    expect(r?.upstreamPath ?? null).toBe(upstreamPath);
  });

  it.each([
    ['/v1/./models', '/base/v1/models'],
    ['/v1/chat/../models?a=1', '/base/v1/models?a=1'],
    ['/groq/v1/x/..', '/openai/v1/'],
    ['/anthropic/.', '/'],
  ])('resolves dot segments inside the provider: %s → %s', (url, upstreamPath) => {
    expect(route(providers, url)?.upstreamPath).toBe(upstreamPath);
  });

  it.each(['/v1/../../x', '/v1/..', '/groq/../v1/models', '/anthropic/v1/../../x', '//host/x', '/v1//models', '/v1/%2e%2e/x', '/v1/%2E%2E/x', '/v1/a%2fb', '/v1\\..\\x', '/v1/%5c', 'http://evil.test/v1/models', '*'])(
    'refuses %s with ERR_PROXY_BAD_PATH',
    (url) => {
      expect(() => route(providers, url)).toThrow(expect.objectContaining({ code: 'ERR_PROXY_BAD_PATH' }));
    },
  );

  it('presents the key as each auth_header template says', () => {
    const byName = Object.fromEntries(providers.map((p) => [p.name, p]));
    expect([byName.groq?.authHeader, byName.groq?.authValue('K')]).toEqual(['authorization', 'Bearer K']);
    expect([byName['groq-eu']?.authHeader, byName['groq-eu']?.authValue('K')]).toEqual(['api-key', 'K']);
    expect([byName.gemini?.authHeader, byName.gemini?.authValue('K')]).toEqual(['x-goog-api-key', 'K']);
  });
});
