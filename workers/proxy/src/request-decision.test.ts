import type { IncomingMessage } from 'node:http';
import { defaultConfig } from '@raypher/shared/config';
import { RaypherError } from '@raypher/shared/errors';
import type { AllowList } from './allow-list.js';
import type { Verdict } from './identity/decide.js';
import type { PanicSwitch } from './panic.js';
import { providersFrom } from './providers.js';
import { RateLimiter } from './rate-limit.js';
import { REFUSALS } from './refusals.js';
import { decideRequest, type Decision, type DecisionDeps } from './request-decision.js';
import type { VaultClient } from './vault-client.js';

const config = { ...defaultConfig().proxy, rate_limit: 1 };
const caller = { pid: 10, uid: 1000, exe: '/usr/bin/agent', exe_hash: 'abc', script: null, source: 'exec' as const };
const allowed: Verdict = { allowed: true, entryId: 1, caller };
const req = (url = '/v1/chat/completions') => ({ url, method: 'POST', headers: {}, rawHeaders: [] }) as unknown as IncomingMessage;

function deps(o: { panic?: boolean; cached?: string; key?: () => Promise<string> } = {}): DecisionDeps {
  return {
    config: () => config,
    providers: () => providersFrom(config),
    allowList: { get: (id: number) => (id === 1 ? { rate_limit: null } : null) } as unknown as AllowList,
    panic: { engaged: o.panic ?? false } as PanicSwitch,
    limiter: new RateLimiter(() => 0),
    vault: { cached: () => o.cached, key: o.key ?? (async () => 'sk') } as unknown as VaultClient,
  };
}
const refusalOf = (d: Decision | Promise<Decision>) => (d instanceof Promise || d.ok ? null : d.refusal);

describe('decideRequest', () => {
  it('panic comes first: it refuses even a caller that could not be identified', () => {
    expect(refusalOf(decideRequest(deps({ panic: true }), req(), new Error('thread gone')))).toEqual({ kind: 'panic' });
  });

  it('an identification that failed is refused 503 ERR_PROXY_IDENTITY_FAILED; an unsupported platform keeps its own code', () => {
    const failed = refusalOf(decideRequest(deps(), req(), new RaypherError('ERR_PROXY_IDENTITY_FAILED', 'no answer')));
    expect(failed).toEqual({ kind: 'identity_failed', detail: 'no answer', path: '/v1/chat/completions' });
    expect([REFUSALS.identity_failed.status, REFUSALS.identity_failed.code]).toEqual([503, 'ERR_PROXY_IDENTITY_FAILED']);
    const unsupported = refusalOf(decideRequest(deps(), req(), new RaypherError('ERR_PROXY_IDENTITY_UNSUPPORTED', 'Linux only')));
    expect(unsupported).toMatchObject({ kind: 'identity_unsupported' });
    expect(REFUSALS.identity_unsupported.code).toBe('ERR_PROXY_IDENTITY_UNSUPPORTED');
  });

  it('an allowed caller with a cached key is decided without a promise, holding a rate-limit slot', () => {
    const d = decideRequest(deps({ cached: 'sk-cached' }), req(), allowed);
    expect(d).toMatchObject({ ok: true, key: 'sk-cached', slot: { bucket: 'abc:1000', perMinute: 1 } });
  });

  it('over the limit: refused 429 with no slot to give back; a vault failure after the slot was taken hands it back', async () => {
    const d = deps({ key: () => Promise.reject(new RaypherError('ERR_VAULT_NOT_FOUND', 'no key sealed for openai')) });
    await expect(decideRequest(d, req(), allowed)).resolves.toEqual({ ok: false, refusal: { kind: 'no_key', detail: 'no key sealed for openai' }, slot: { bucket: 'abc:1000', perMinute: 1 } });
    expect(decideRequest(d, req(), allowed)).toEqual({ ok: false, refusal: { kind: 'rate_limited', provider: 'openai', perMinute: 1, retryAfterSecs: 60 }, slot: null });
  });

  it('a removed entry is a denial (not_listed); a path that leaves its provider is bad_path', () => {
    expect(refusalOf(decideRequest(deps(), req(), { ...allowed, entryId: 2 }))).toMatchObject({ kind: 'denied', reason: 'not_listed', pid: 10 });
    expect(refusalOf(decideRequest(deps(), req('/v1/../../admin'), allowed))).toMatchObject({ kind: 'bad_path' });
  });
});
