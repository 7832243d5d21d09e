// publish: adds a bundle as a target with its custom metadata, and bumps targets, snapshot and timestamp.
import { isChannel, type TargetCustom } from '@raypher/worker-updater/release-format';
import { loadKeys } from '../keys.js';
import { repoError } from '../failures.js';
import { readBundleManifest } from '../read-bundle.js';
import { publishTarget } from '../repository.js';
import type { Printable } from '../output.js';

export function publishCommand(repo: string, keysDir: string, bundlePath: string, channel: string, now: Date): Printable {
  if (!isChannel(channel)) throw repoError(`channel ${JSON.stringify(channel)} is not a channel name ([a-z0-9_-], up to 32)`);
  const m = readBundleManifest(bundlePath);
  const custom: TargetCustom = { version: m.version, release_counter: m.release_counter, protocol: m.protocol, channel, platform: m.platform, node_abi: m.node.abi };
  const published = publishTarget(repo, bundlePath, custom, loadKeys(keysDir), keysDir, now);
  return { target: published.name, length: published.length, sha256: published.sha256, custom: { ...custom }, versions: { ...published.versions } };
}
