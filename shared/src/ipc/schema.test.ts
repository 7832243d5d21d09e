import { array, int, literal, object, optional, str } from './schema.js';

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
});
