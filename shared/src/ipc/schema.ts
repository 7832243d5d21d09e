// Tiny runtime validators: every IPC message is checked with these before use; types are inferred.
export class SchemaError extends Error {
  constructor(readonly path: string, readonly expected: string) {
    super(`${path || 'value'}: expected ${expected}`);
  }
}

export interface Schema<T> {
  readonly describe: string;
  parse(value: unknown, path?: string): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function make<T>(describe: string, check: (value: unknown, path: string) => T): Schema<T> {
  return { describe, parse: (value, path = '') => check(value, path) };
}

export const str = (opts: { max?: number; pattern?: RegExp } = {}): Schema<string> =>
  make('string', (v, p) => {
    if (typeof v !== 'string') throw new SchemaError(p, 'a string');
    if (opts.max !== undefined && v.length > opts.max) throw new SchemaError(p, `at most ${opts.max} characters`);
    if (opts.pattern && !opts.pattern.test(v)) throw new SchemaError(p, `a string matching ${opts.pattern}`);
    return v;
  });

export const int = (opts: { min?: number; max?: number } = {}): Schema<number> =>
  make('integer', (v, p) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new SchemaError(p, 'an integer');
    if (opts.min !== undefined && v < opts.min) throw new SchemaError(p, `an integer >= ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) throw new SchemaError(p, `an integer <= ${opts.max}`);
    return v;
  });

export const num = (): Schema<number> =>
  make('number', (v, p) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SchemaError(p, 'a finite number');
    return v;
  });

export const bool = (): Schema<boolean> =>
  make('boolean', (v, p) => {
    if (typeof v !== 'boolean') throw new SchemaError(p, 'a boolean');
    return v;
  });

export const literal = <const L extends readonly string[]>(...values: L): Schema<L[number]> =>
  make(values.join('|'), (v, p) => {
    if (typeof v !== 'string' || !values.includes(v)) throw new SchemaError(p, `one of ${values.join(', ')}`);
    return v as L[number];
  });

export const nullable = <T>(inner: Schema<T>): Schema<T | null> =>
  make(`${inner.describe}|null`, (v, p) => (v === null ? null : inner.parse(v, p)));

export const optional = <T>(inner: Schema<T>): Schema<T | undefined> =>
  make(`${inner.describe}?`, (v, p) => (v === undefined ? undefined : inner.parse(v, p)));

export const array = <T>(inner: Schema<T>, opts: { max?: number } = {}): Schema<T[]> =>
  make(`${inner.describe}[]`, (v, p) => {
    if (!Array.isArray(v)) throw new SchemaError(p, 'an array');
    if (opts.max !== undefined && v.length > opts.max) throw new SchemaError(p, `at most ${opts.max} items`);
    return v.map((item, i) => inner.parse(item, `${p}[${i}]`));
  });

export const record = <T>(inner: Schema<T>): Schema<Record<string, T>> =>
  make(`record<${inner.describe}>`, (v, p) => {
    if (!isPlainObject(v)) throw new SchemaError(p, 'an object');
    const out: Record<string, T> = {};
    for (const [k, item] of Object.entries(v)) {
      refusePrototypeKey(k, p);
      out[k] = inner.parse(item, `${p}.${k}`);
    }
    return out;
  });

/** Any JSON value, kept as is (for opaque payloads such as config snapshots). */
export const unknownValue = (): Schema<unknown> => make('any', (v) => v);

type Shape = Record<string, Schema<unknown>>;
type ObjectOf<S extends Shape> = { [K in keyof S as undefined extends Infer<S[K]> ? never : K]: Infer<S[K]> } & {
  [K in keyof S as undefined extends Infer<S[K]> ? K : never]?: Infer<S[K]>;
};

/** Objects are strict: unknown keys are rejected so typos and injected fields do not slip through. */
export const object = <S extends Shape>(shape: S): Schema<ObjectOf<S>> =>
  make('object', (v, p) => {
    if (!isPlainObject(v)) throw new SchemaError(p, 'an object');
    for (const key of Object.keys(v)) {
      refusePrototypeKey(key, p);
      // Own keys only: `in` would accept toString, valueOf, constructor... from Object.prototype.
      if (!Object.hasOwn(shape, key)) throw new SchemaError(`${p}.${key}`, 'no such field');
    }
    const out: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(shape)) {
      const parsed = schema.parse(Object.hasOwn(v, key) ? v[key] : undefined, p ? `${p}.${key}` : key);
      if (parsed !== undefined) out[key] = parsed;
    }
    return out as ObjectOf<S>;
  });

export const empty = (): Schema<Record<string, never>> => object({}) as Schema<Record<string, never>>;

/** Keys that reach an object's prototype when assigned or looked up; never valid in a message. */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function refusePrototypeKey(key: string, path: string): void {
  if (PROTOTYPE_KEYS.has(key)) throw new SchemaError(`${path}.${key}`, 'no prototype key (__proto__, constructor, prototype)');
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
