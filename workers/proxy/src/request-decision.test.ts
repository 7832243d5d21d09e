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

const config = { ...defaultConfig().proxy, rate_limit: 1 };
const caller = { pid: 10, uid: 1000, exe: '/usr/bin/agent', exe_hash: 'abc', script: null, source: 'exec' as const };
const allowed: Verdict = { allowed: true, entryId: 1, caller };
const req = (url = '/v1/chat/completions') => ({ url, method: 'POST', headers: {}, rawHeaders: [] }) as unknown as IncomingMessage;

function deps(o: { panic?: boolean } = {}): DecisionDeps {
  return {
    config: () => config,
    providers: () => providersFrom(config),
    allowList: { get: (id: number) => (id === 1 ? { rate_limit: null } : null) } as unknown as AllowList,
    panic: { engaged: o.panic ?? false } as PanicSwitch,
    limiter: new RateLimiter(() => 0),
  };
}
const refusalOf = (d: Decision) => (d.ok ? null : d.refusal);

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

  it('an allowed caller is decided without a promise, holding a rate-limit slot (the key comes after the body step)', () => {
    const d = decideRequest(deps(), req(), allowed);
    expect(d).toMatchObject({ ok: true, route: { provider: { name: 'openai' } }, slot: { bucket: 'abc:1000', perMinute: 1 } });
    expect(d).not.toHaveProperty('key');
  });

  it('over the limit: refused 429 with no slot to give back', () => {
    const d = deps();
    expect(decideRequest(d, req(), allowed)).toMatchObject({ ok: true });
    expect(decideRequest(d, req(), allowed)).toEqual({ ok: false, refusal: { kind: 'rate_limited', provider: 'openai', perMinute: 1, retryAfterSecs: 60 }, slot: null });
  });

  it('a removed entry is a denial (not_listed); a path that leaves its provider is bad_path', () => {
    expect(refusalOf(decideRequest(deps(), req(), { ...allowed, entryId: 2 }))).toMatchObject({ kind: 'denied', reason: 'not_listed', pid: 10 });
    expect(refusalOf(decideRequest(deps(), req('/v1/../../admin'), allowed))).toMatchObject({ kind: 'bad_path' });
  });
});
