// What one update check needs from [updater] and the machine, validated once (a missing or bad value is ERR_UPDATE_CONFIG).
import { isAbsolute } from 'node:path';
import { isChannel } from './release-format.js';
import { configError } from './update-errors.js';

export interface UpdaterSettings {
  readonly metadataUrl: string;
  readonly targetsUrl: string;
  /** Absolute path of the shipped root.json (the wiring resolves it beside the config file). */
  readonly trustedRoot: string;
  readonly channel: string;
  readonly checkIntervalSecs: number;
}

function httpUrl(key: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(`[updater] ${key} ${JSON.stringify(value)} is not a URL; set it to the repository's https:// base URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw configError(`[updater] ${key} must be an http(s) URL, not ${url.protocol}`);
}

export function validateSettings(s: UpdaterSettings): UpdaterSettings {
  httpUrl('metadata_url', s.metadataUrl);
  httpUrl('targets_url', s.targetsUrl);
  if (!isAbsolute(s.trustedRoot)) throw configError(`[updater] trusted_root ${s.trustedRoot} must be resolved to an absolute path before a check`);
  if (!isChannel(s.channel)) throw configError(`[updater] channel ${JSON.stringify(s.channel)} is not a channel name ([a-z0-9_-], up to 32)`);
  if (!Number.isSafeInteger(s.checkIntervalSecs) || s.checkIntervalSecs < 1) throw configError(`[updater] check_interval_secs must be a positive integer`);
  return Object.freeze({ ...s });
}
