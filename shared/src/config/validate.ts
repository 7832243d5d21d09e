// Validates plain values against the schema, section by section: unknown keys and bad values are errors naming the key; results are frozen.
import { RaypherError } from '../errors/index.js';
import { checkSectionRules } from './rules.js';
import { CONFIG_SCHEMA, SECTION_NAMES, type Config, type SectionName } from './schema.js';
import type { KeySpec } from './spec.js';

export function defaultConfig(): Config {
  return validateConfig({}, 'defaults');
}

/** A whole config: every section, missing sections and keys take their defaults. */
export function validateConfig(raw: unknown, source: string): Config {
  if (!isTable(raw)) throw new RaypherError('ERR_CONFIG_INVALID', `${source}: the config must be a table of sections`);
  for (const name of Object.keys(raw)) {
    if (!Object.hasOwn(CONFIG_SCHEMA, name)) {
      throw new RaypherError('ERR_CONFIG_UNKNOWN_KEY', `${source}: unknown section [${name}]; known sections: ${SECTION_NAMES.join(', ')}`);
    }
  }
  return buildConfig((section) => validateSection(section, raw[section] ?? {}, source));
}

/** One section: its keys' types and bounds, then the section's own rules (rules.ts). */
export function validateSection<S extends SectionName>(section: S, given: unknown, source: string): Config[S] {
  const keys: Readonly<Record<string, KeySpec<unknown>>> = CONFIG_SCHEMA[section];
  if (!isTable(given)) throw new RaypherError('ERR_CONFIG_INVALID', `${source}: [${section}] must be a table`);
  for (const k of Object.keys(given)) {
    if (!Object.hasOwn(keys, k)) {
      throw new RaypherError('ERR_CONFIG_UNKNOWN_KEY', `${source}: unknown key ${section}.${k}; known keys in [${section}]: ${Object.keys(keys).join(', ')}`);
    }
  }
  const values: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(keys)) {
    values[k] = Object.hasOwn(given, k) ? checkValue(`${section}.${k}`, given[k], spec, source) : spec.default;
  }
  // Every key of the section was checked against its spec just above.
  const value = Object.freeze(values) as Config[S];
  checkSectionRules(section, value, source);
  return value;
}

/** Assembles a frozen Config from one value per section (the one place a Config object is put together). */
export function buildConfig(sectionOf: <S extends SectionName>(section: S) => Config[S]): Config {
  const out: Partial<Record<SectionName, unknown>> = {};
  for (const section of SECTION_NAMES) out[section] = sectionOf(section);
  return Object.freeze(out) as Config;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkValue(name: string, value: unknown, spec: KeySpec<unknown>, source: string): unknown {
  const bad = (allowed: string) =>
    new RaypherError('ERR_CONFIG_INVALID', `${source}: ${name} = ${JSON.stringify(value)} is not allowed; expected ${allowed}`);
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') throw bad('a string');
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw bad('true or false');
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.values?.includes(value)) throw bad(`one of ${spec.values?.map((v) => `"${v}"`).join(', ')}`);
      return value;
    case 'tables':
      return checkTables(name, value, spec, source);
    case 'int':
    case 'number': {
      const range = `${spec.min ?? '-∞'}..${spec.max ?? '∞'}${spec.unit ? ` (${spec.unit})` : ''}`;
      const kind = spec.type === 'int' ? 'an integer' : 'a number';
      if (typeof value !== 'number' || !Number.isFinite(value) || (spec.type === 'int' && !Number.isInteger(value))) throw bad(`${kind} in ${range}`);
      if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) throw bad(`${kind} in ${range}`);
      return value;
    }
  }
}

function checkTables(name: string, value: unknown, spec: KeySpec<unknown>, source: string): unknown {
  const fields = spec.fields ?? {};
  if (!Array.isArray(value)) throw new RaypherError('ERR_CONFIG_INVALID', `${source}: ${name} must be written as [[${name}]] tables`);
  return Object.freeze(
    value.map((item: unknown, i) => {
      const at = `${name}[${i}]`;
      if (!isTable(item)) throw new RaypherError('ERR_CONFIG_INVALID', `${source}: ${at} must be a table`);
      for (const k of Object.keys(item)) {
        if (!Object.hasOwn(fields, k)) throw new RaypherError('ERR_CONFIG_UNKNOWN_KEY', `${source}: unknown key ${at}.${k}; known keys: ${Object.keys(fields).join(', ')}`);
      }
      const out: Record<string, unknown> = {};
      const required = Object.keys(fields).filter((k) => fields[k]?.optional !== true);
      for (const [k, field] of Object.entries(fields)) {
        if (Object.hasOwn(item, k)) out[k] = checkValue(`${at}.${k}`, item[k], field, source);
        else if (field.optional === true) out[k] = field.default;
        else throw new RaypherError('ERR_CONFIG_INVALID', `${source}: ${at} has no ${k}; each entry needs ${required.join(', ')}`);
      }
      return Object.freeze(out);
    }),
  );
}
