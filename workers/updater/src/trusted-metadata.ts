// The TUF metadata the updater trusts: seeded from the shipped root.json, refreshed in a work copy, kept only when a check passes.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, MetadataKind } from '@tufjs/models';
import { writeFileAtomic } from './atomic-file.js';
import { configError, describe } from './update-errors.js';
import type { UpdaterPaths } from './updater-paths.js';

/** Root first: a kill between two files leaves an older but consistent floor (tuf-js re-fetches what does not chain). */
const FILES = ['root.json', 'timestamp.json', 'snapshot.json', 'targets.json'] as const;

/** The shipped root.json, checked: it exists and is a self-signed TUF root (ERR_UPDATE_CONFIG naming the file otherwise). */
export function shippedRoot(file: string): Buffer {
  if (!existsSync(file)) throw configError(`[updater] trusted_root ${file} does not exist; install the root.json published with Raypher's release keys there, or set [updater] enabled = false`);
  const bytes = readFileSync(file);
  try {
    const md = Metadata.fromJSON(MetadataKind.Root, JSON.parse(bytes.toString('utf8')) as Parameters<typeof Metadata.fromJSON>[1]);
    md.verifyDelegate(MetadataKind.Root, md);
  } catch (err) {
    throw configError(`[updater] trusted_root ${file} is not a valid self-signed TUF root (${describe(err)}); reinstall the root.json shipped with Raypher`);
  }
  return bytes;
}

/** The first check trusts the shipped root; later ones trust what earlier checks persisted. */
export function seedTrustedMetadata(paths: UpdaterPaths, trustedRootFile: string): void {
  mkdirSync(paths.trustedMetadata, { recursive: true, mode: 0o700 });
  const root = join(paths.trustedMetadata, 'root.json');
  if (!existsSync(root)) writeFileAtomic(root, shippedRoot(trustedRootFile), 0o600);
}

export function prepareWorkMetadata(paths: UpdaterPaths): string {
  rmSync(paths.workMetadata, { recursive: true, force: true });
  cpSync(paths.trustedMetadata, paths.workMetadata, { recursive: true });
  return paths.workMetadata;
}

export function discardWorkMetadata(paths: UpdaterPaths): void {
  rmSync(paths.workMetadata, { recursive: true, force: true });
}

/** Raises the TUF floors: each file replaced atomically with the version this passed check verified. */
export function commitWorkMetadata(paths: UpdaterPaths): void {
  for (const f of FILES) {
    const from = join(paths.workMetadata, f);
    const to = join(paths.trustedMetadata, f);
    if (existsSync(from)) {
      const bytes = readFileSync(from);
      if (!existsSync(to) || !readFileSync(to).equals(bytes)) writeFileAtomic(to, bytes, 0o600);
    } else {
      rmSync(to, { force: true });
    }
  }
  discardWorkMetadata(paths);
}

export function readWorkTargetsFile(paths: UpdaterPaths): unknown {
  return JSON.parse(readFileSync(join(paths.workMetadata, 'targets.json'), 'utf8'));
}
