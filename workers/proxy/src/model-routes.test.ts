import { parseConfigText } from '@raypher/shared/config';
import { ModelRoutes } from './model-routes.js';
import { providersFrom, route, type Route } from './providers.js';

const config = parseConfigText(
  `[proxy]
default_upstream = "http://openai.test"
[[proxy.providers]]
name = "groq"
base_url = "http://groq.test/openai/v1"
path_prefix = "/groq"
auth_header = "Authorization: Bearer {key}"
api = "openai"
[[proxy.providers]]
name = "plain"
base_url = "http://plain.test"
path_prefix = "/plain"
auth_header = "x-key: {key}"
[[proxy.model_routes]]
model = "llama-*"
provider = "groq"
[[proxy.model_routes]]
model = "llama-guard-3-8b"
provider = "openai"
[[proxy.model_routes]]
model = "llama-3.3-*"
provider = "groq"
[[proxy.model_routes]]
model = "claude-*"
provider = "anthropic"
`,
  'test',
);
const providers = providersFrom(config.proxy);
const models = new ModelRoutes(config.proxy.model_routes, providers);
const at = (url: string) => route(providers, url) as Route;
const where = (r: ReturnType<ModelRoutes['route']>) => ('kind' in r ? r.kind : `${r.provider.name} ${r.upstreamPath} (${r.auditPath})`);

describe('model routes', () => {
  it('the exact name wins, then the longest prefix; a model not listed goes by path', () => {
    expect(models.providerFor('llama-guard-3-8b')?.name).toBe('openai');
    expect(models.providerFor('llama-3.3-70b')?.name).toBe('groq');
    expect(models.providerFor('gpt-4o')).toBeNull();
    expect(where(models.route(at('/v1/chat/completions'), 'gpt-4o'))).toBe('openai /v1/chat/completions (/v1/chat/completions)');
  });

  it('re-bases the path below the other provider of the same API, query kept, audit path as the client sent it', () => {
    expect(where(models.route(at('/v1/chat/completions?x=1'), 'llama-3.3-70b'))).toBe('groq /openai/v1/chat/completions?x=1 (/v1/chat/completions)');
    // And back: openai keeps its /v1 prefix upstream.
    expect(where(models.route(at('/groq/chat/completions'), 'llama-guard-3-8b'))).toBe('openai /v1/chat/completions (/groq/chat/completions)');
    expect(where(models.route(at('/anthropic/v1/messages'), 'claude-sonnet-4-5'))).toBe('anthropic /v1/messages (/anthropic/v1/messages)');
  });

  it('refuses a model whose provider speaks another API than the path, naming both; never translates', () => {
    expect(models.route(at('/v1/chat/completions'), 'claude-sonnet-4-5')).toEqual({ kind: 'model_api', model: 'claude-sonnet-4-5', provider: 'anthropic', api: 'anthropic', pathApi: 'openai', path: '/v1/chat/completions' });
    expect(models.route(at('/anthropic/v1/messages'), 'llama-3.3-70b')).toMatchObject({ kind: 'model_api', provider: 'groq', pathApi: 'anthropic' });
  });

  it('reads bodies only on paths of an API the routes serve, and only when routes exist', () => {
    const byName = (n: string) => providers.find((p) => p.name === n)!;
    expect(['openai', 'anthropic', 'groq', 'gemini', 'plain'].map((n) => models.applyTo(byName(n)))).toEqual([true, true, true, false, false]);
    expect(new ModelRoutes([], providers).applyTo(byName('openai'))).toBe(false);
  });
});
