import { redactString, redactValue, REDACTED } from './redact.js';

const CANARY = 'sk-canary-7Hq2XbT9LmN4pR8sV1wZ3yK6';

describe('redaction', () => {
  it.each([
    [`key is ${CANARY} ok`, `key is ${REDACTED} ok`],
    ['Authorization: Bearer abcdefgh12345678', `Authorization: Bearer ${REDACTED}`],
    ['google AIzaSyA1234567890abcdefghijklmnopqrstuv', `google ${REDACTED}`],
    ['anthropic sk-ant-api03-abcdefghijklmnopqrstuvwx', `anthropic ${REDACTED}`],
    ['AKIAABCDEFGHIJKLMNOP', REDACTED],
    ['nothing secret here: sk-short', 'nothing secret here: sk-short'],
  ])('redacts %j', (input, expected) => {
    expect(redactString(input)).toBe(expected);
  });

  it('redacts nested values and secret-named fields', () => {
    const out = redactValue({ a: { apiKey: 'plain-but-named', list: [CANARY] }, token: 'x', count: 3, err: new Error(`bad ${CANARY}`) });
    expect(JSON.stringify(out)).not.toContain(CANARY);
    expect(JSON.stringify(out)).not.toContain('plain-but-named');
    expect(out).toMatchObject({ a: { apiKey: REDACTED, list: [REDACTED] }, token: REDACTED, count: 3 });
  });

  it('survives cycles', () => {
    const o: Record<string, unknown> = { s: CANARY };
    o.self = o;
    expect(JSON.stringify(redactValue(o))).not.toContain(CANARY);
  });
});
