// Which release the workers run now: the bundle.json at the root of this worker's bundle, or the checkout's version.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readVersion } from '@raypher/shared/version';
import { BUNDLE_MANIFEST, parseBundleManifest } from './release-format.js';

export interface InstalledRelease {
  readonly version: string;
  /** 0 when the workers do not run from a bundle (a development checkout or the OS package's own workers). */
  readonly release_counter: number;
}

/** <bundle>/updater/dist/this-file.js → <bundle>. */
export function bundleRootOfThisWorker(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function readInstalledRelease(bundleRoot: string = bundleRootOfThisWorker()): InstalledRelease {
  const file = join(bundleRoot, BUNDLE_MANIFEST);
  if (!existsSync(file)) return { version: readVersion(), release_counter: 0 };
  try {
    const m = parseBundleManifest(JSON.parse(readFileSync(file, 'utf8')), (what) => {
      throw new Error(what);
    });
    return { version: m.version, release_counter: m.release_counter };
  } catch {
    // A damaged bundle.json cannot raise the floor: the signed floor in state.json still holds.
    return { version: readVersion(), release_counter: 0 };
  }
}
