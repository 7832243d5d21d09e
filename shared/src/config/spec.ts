// Builders for config key specs: type, default, bounds, unit, whether it can change live, and its doc line.
export type KeyType = 'string' | 'int' | 'number' | 'bool' | 'enum' | 'tables';

export interface KeySpec<T> {
  readonly type: KeyType;
  readonly default: T;
  readonly doc: string;
  /** True when `raypherctl reload` / SIGHUP can apply a new value without a restart. */
  readonly live: boolean;
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  /** For 'tables' (a TOML array of tables, [[section.key]]): each table's fields; required unless `optional`. */
  readonly fields?: Readonly<Record<string, KeySpec<unknown>>>;
  /** For 'tables': an example entry, shown commented out in the example config. */
  readonly example?: Readonly<Record<string, unknown>>;
  /** For a field of 'tables': an entry may leave it out, and then it takes the default. */
  readonly optional?: boolean;
}

interface Opts {
  live?: boolean;
  unit?: string;
  min?: number;
  max?: number;
  /** A field of a [[table]] entry that may be left out (its default applies). */
  optional?: boolean;
}

export const key = {
  string: (def: string, doc: string, o: Opts = {}): KeySpec<string> => ({ type: 'string', default: def, doc, live: o.live ?? false }),
  int: (def: number, doc: string, o: Opts = {}): KeySpec<number> => ({ type: 'int', default: def, doc, live: o.live ?? false, unit: o.unit, min: o.min, max: o.max }),
  number: (def: number, doc: string, o: Opts = {}): KeySpec<number> => ({ type: 'number', default: def, doc, live: o.live ?? false, unit: o.unit, min: o.min, max: o.max }),
  bool: (def: boolean, doc: string, o: Opts = {}): KeySpec<boolean> => ({ type: 'bool', default: def, doc, live: o.live ?? false }),
  /** An array of tables whose fields are all string keys, e.g. [[proxy.providers]]. Defaults to none. Fields are required unless `optional`. */
  tables: <const F extends Record<string, KeySpec<string>>>(fields: F, doc: string, example: { [K in keyof F]: string }, o: Opts = {}): KeySpec<ReadonlyArray<{ readonly [K in keyof F]: string }>> => ({
    type: 'tables',
    default: [],
    doc,
    fields,
    example,
    live: o.live ?? false,
  }),
  enum: <const V extends readonly string[]>(values: V, def: V[number], doc: string, o: Opts = {}): KeySpec<V[number]> => ({
    type: 'enum',
    default: def,
    doc,
    values,
    live: o.live ?? false,
    optional: o.optional,
  }),
};
