import { array, int, literal, object, optional, record, str } from './schema.js';

describe('schema', () => {
  const s = object({ name: str({ max: 5 }), n: int({ min: 0 }), kind: literal('a', 'b'), tags: optional(array(str())) });

  it('accepts a valid value and drops nothing', () => {
    expect(s.parse({ name: 'x', n: 1, kind: 'a', tags: ['t'] })).toEqual({ name: 'x', n: 1, kind: 'a', tags: ['t'] });
  });

  it.each([
    [{ name: 1, n: 1, kind: 'a' }, 'name: expected a string'],
    [{ name: 'toolong', n: 1, kind: 'a' }, 'name: expected at most 5 characters'],
    [{ name: 'x', n: -1, kind: 'a' }, 'n: expected an integer >= 0'],
    [{ name: 'x', n: 1.5, kind: 'a' }, 'n: expected an integer'],
    [{ name: 'x', n: 1, kind: 'c' }, 'kind: expected one of a, b'],
    [{ name: 'x', n: 1, kind: 'a', extra: true }, '.extra: expected no such field'],
    [{ name: 'x', n: 1, kind: 'a', tags: [1] }, 'tags[0]: expected a string'],
    [null, 'value: expected an object'],
    [[1], 'value: expected an object'],
  ])('rejects %j', (value, message) => {
    expect(() => s.parse(value)).toThrow(message);
  });

  // JSON.parse makes these own keys; an `in` check would find them on Object.prototype and let them through.
  it.each([
    ['__proto__', 'no prototype key'],
    ['constructor', 'no prototype key'],
    ['prototype', 'no prototype key'],
    ['toString', 'no such field'],
    ['valueOf', 'no such field'],
    ['hasOwnProperty', 'no such field'],
  ])('rejects the key %s in an object', (key, message) => {
    const value: unknown = JSON.parse(`{"name":"x","n":1,"kind":"a","${key}":{"polluted":true}}`);
    expect(() => s.parse(value)).toThrow(`.${key}: expected ${message}`);
    expect(() => object({}).parse(JSON.parse(`{"${key}":1}`))).toThrow(`.${key}: expected`);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('rejects the key %s in a record and pollutes nothing', (key) => {
    const value: unknown = JSON.parse(`{"a":1,"${key}":{"polluted":true}}`);
    expect(() => record(int()).parse(value)).toThrow(`.${key}: expected no prototype key`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads declared fields from own keys only', () => {
    expect(object({ toString: optional(str()) }).parse({})).toEqual({});
  });
});
