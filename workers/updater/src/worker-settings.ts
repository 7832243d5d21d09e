// [updater] as the worker uses it: disabled, unusable (ERR_UPDATE_CONFIG naming the file or key), or ready to check.
import { dirname, isAbsolute, resolve } from 'node:path';
import type { WorkerConfig } from '@raypher/shared/ipc';
import { RaypherError, toRaypherError } from '@raypher/shared/errors';
import { configError } from './update-errors.js';
import { validateSettings, type UpdaterSettings } from './settings.js';
import { shippedRoot } from './trusted-metadata.js';

type Section = WorkerConfig<'updater'>['updater'];

export type ResolvedSettings =
  | { readonly kind: 'disabled'; readonly autoApply: boolean; readonly channel: string }
  | { readonly kind: 'error'; readonly error: RaypherError; readonly autoApply: boolean; readonly channel: string }
  | { readonly kind: 'ready'; readonly settings: UpdaterSettings; readonly autoApply: boolean; readonly channel: string };

/** trusted_root relative to the config file in force (docs/updates.md). */
export function resolveTrustedRoot(trustedRoot: string, configFile: string): string {
  return isAbsolute(trustedRoot) ? trustedRoot : resolve(dirname(configFile), trustedRoot);
}

export function resolveSettings(section: Section, configFile: string): ResolvedSettings {
  const common = { autoApply: section.auto_apply, channel: section.channel };
  if (!section.enabled) return { kind: 'disabled', ...common };
  try {
    for (const key of ['metadata_url', 'targets_url'] as const) {
      if (section[key] === '') throw configError(`[updater] enabled = true but ${key} is empty in ${configFile}; set it to the repository's https:// base URL, or set enabled = false`);
    }
    const settings = validateSettings({
      metadataUrl: section.metadata_url,
      targetsUrl: section.targets_url,
      trustedRoot: resolveTrustedRoot(section.trusted_root, configFile),
      channel: section.channel,
      checkIntervalSecs: section.check_interval_secs,
    });
    shippedRoot(settings.trustedRoot);
    return { kind: 'ready', settings, ...common };
  } catch (err) {
    return { kind: 'error', error: toRaypherError(err, 'updater settings'), ...common };
  }
}
