// bundle: builds the worker bundle from the checkout and reports its path, size and sha256.
import { buildBundle } from '../bundle.js';
import type { Printable } from '../output.js';

export function bundleCommand(checkout: string, outDir: string, version: string | undefined, releaseCounter: number | undefined, sourceDateEpoch: string | undefined): Printable {
  const b = buildBundle({ checkout, outDir, version, releaseCounter, sourceDateEpoch });
  return { path: b.path, size: b.size, sha256: b.sha256, files: b.fileCount, manifest: { ...b.manifest } };
}
