// Reload: the running config with the live keys of a newly read one applied, merged section by section without parsing again.
import { isDeepStrictEqual } from 'node:util';
import { checkSectionRules } from './rules.js';
import { CONFIG_SCHEMA, type Config, type SectionName } from './schema.js';
import type { KeySpec } from './spec.js';
import { buildConfig } from './validate.js';

export interface ReloadOutcome {
  /** The config to run with: live keys from the new file, restart-only keys as they were. */
  readonly config: Config;
  /** Dotted names of changed live keys, now in effect. */
  readonly applied: string[];
  /** Dotted names of changed keys that take effect only after a restart; their running values are kept. */
  readonly requiresRestart: string[];
}

/**
 * Both configs are already validated; only the rules of a section that changed are checked again, because a live
 * key can disagree with a restart-only one it is kept beside (heartbeat_timeout_ms vs heartbeat_interval_ms).
 */
export function mergeLiveKeys(running: Config, next: Config, source: string): ReloadOutcome {
  const applied: string[] = [];
  const requiresRestart: string[] = [];
  const config = buildConfig((section) => {
    const merged = mergeSection(section, running[section], next[section], applied, requiresRestart);
    if (merged !== running[section]) checkSectionRules(section, merged, source);
    return merged;
  });
  return { config, applied, requiresRestart };
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

function mergeSection<S extends SectionName>(section: S, running: Config[S], next: Config[S], applied: string[], requiresRestart: string[]): Config[S] {
  const specs: Readonly<Record<string, KeySpec<unknown>>> = CONFIG_SCHEMA[section];
  const changes: Mutable<Config[S]> = {};
  let changed = false;
  for (const key of Object.keys(specs) as Array<keyof Config[S] & string>) {
    if (isDeepStrictEqual(running[key], next[key])) continue;
    if (specs[key]?.live) {
      changes[key] = next[key];
      changed = true;
      applied.push(`${section}.${key}`);
    } else {
      requiresRestart.push(`${section}.${key}`);
    }
  }
  if (!changed) return running;
  const merged: Config[S] = { ...running, ...changes };
  Object.freeze(merged);
  return merged;
}
