// Reads a config file: the file, then its TOML syntax; the values are validated by validate.ts.
import { readFileSync } from 'node:fs';
import toml from 'toml';
import { RaypherError } from '../errors/index.js';
import type { Config } from './schema.js';
import { defaultConfig, validateConfig } from './validate.js';

/** A missing file is the defaults unless the operator named it (--config). */
export function loadConfigFile(file: string, { required }: { required: boolean }): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required) return defaultConfig();
    throw new RaypherError('ERR_CONFIG_NOT_FOUND', `cannot read config ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; check the path given with --config`);
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, source: string): Config {
  let raw: unknown;
  try {
    raw = toml.parse(text);
  } catch (err) {
    const e = err as { location?: { start?: { line?: number; column?: number } }; message?: string };
    const at = e.location?.start;
    throw new RaypherError('ERR_CONFIG_PARSE', `${source}:${at?.line ?? '?'}:${at?.column ?? '?'}: ${e.message ?? 'invalid TOML'}; fix the TOML syntax there`);
  }
  return validateConfig(raw, source);
}
