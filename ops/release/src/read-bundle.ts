// Reads a built bundle back: its bundle.json, checked against the files it lists (publish refuses a damaged bundle).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { BUNDLE_MANIFEST, parseBundleManifest, type BundleManifest } from '@raypher/worker-updater/release-format';
import { readBundleArchive } from '@raypher/worker-updater/tar-reader';
import { bundleError, detail } from './failures.js';

const LIMITS = { maxBytes: 1024 * 1024 * 1024, maxEntries: 200_000 };

export function readBundleManifest(path: string): BundleManifest {
  if (!existsSync(path)) throw bundleError(`${path} does not exist; build one with raypher-release bundle --out DIR`);
  let entries;
  try {
    entries = readBundleArchive(readFileSync(path), LIMITS);
  } catch (err) {
    throw bundleError(`${path} is not a readable bundle (${detail(err)}); rebuild it with raypher-release bundle`, err);
  }
  const manifestEntry = entries.find((e) => e.path === BUNDLE_MANIFEST);
  if (manifestEntry === undefined) throw bundleError(`${path} has no ${BUNDLE_MANIFEST} at its root; it was not made by raypher-release bundle`);
  let json: unknown;
  try {
    json = JSON.parse(manifestEntry.data.toString('utf8'));
  } catch (err) {
    throw bundleError(`${path}: ${BUNDLE_MANIFEST} is not JSON (${detail(err)})`, err);
  }
  const manifest = parseBundleManifest(json, (what) => {
    throw bundleError(`${path}: ${BUNDLE_MANIFEST} ${what}; rebuild the bundle`);
  });
  const files = entries.filter((e) => e.type === 'file' && e.path !== BUNDLE_MANIFEST);
  if (files.length !== Object.keys(manifest.files).length) throw bundleError(`${path} holds ${files.length} files but ${BUNDLE_MANIFEST} lists ${Object.keys(manifest.files).length}; rebuild the bundle`);
  for (const f of files) {
    if (manifest.files[f.path] !== createHash('sha256').update(f.data).digest('hex')) throw bundleError(`${path}: ${f.path} does not match its sha256 in ${BUNDLE_MANIFEST}; rebuild the bundle`);
  }
  return manifest;
}
