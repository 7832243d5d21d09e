// Where the updater keeps its state under the data directory.
import { join } from 'node:path';

export interface UpdaterPaths {
  readonly root: string;
  readonly stateFile: string;
  readonly lockFile: string;
  /** Metadata tuf-js trusts (its version floors); replaced only after a check passes. */
  readonly trustedMetadata: string;
  /** The copy one check refreshes; thrown away unless the check passes. */
  readonly workMetadata: string;
  readonly downloads: string;
  readonly bundles: string;
}

export function updaterPaths(dataDir: string): UpdaterPaths {
  const root = join(dataDir, 'updater');
  return Object.freeze({
    root,
    stateFile: join(root, 'state.json'),
    lockFile: join(root, 'lock'),
    trustedMetadata: join(root, 'metadata'),
    workMetadata: join(root, 'metadata.work'),
    downloads: join(root, 'downloads'),
    bundles: join(dataDir, 'bundles'),
  });
}

export const STAGING_PREFIX = '.staging-';
