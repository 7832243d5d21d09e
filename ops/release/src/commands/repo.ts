// init, refresh and rotate-root: repository-wide operations.
import { join } from 'node:path';
import { writeFileAtomic } from '@raypher/worker-updater/atomic-file';
import { loadKeys } from '../keys.js';
import { readRepo, serialize } from '../metadata-files.js';
import { initRepo, refreshRepo, rotateRoot } from '../repository.js';
import type { Printable } from '../output.js';

export function initCommand(repo: string, keysDir: string, now: Date): Printable {
  const versions = initRepo(repo, loadKeys(keysDir), keysDir, now);
  return { repo, metadata: join(repo, 'metadata'), targets: join(repo, 'targets'), versions: { ...versions } };
}

export function refreshCommand(repo: string, keysDir: string, now: Date): Printable {
  const versions = refreshRepo(repo, loadKeys(keysDir), keysDir, now);
  const { timestamp, snapshot } = readRepo(repo);
  return { repo, versions: { ...versions }, timestamp_expires: timestamp.signed.expires, snapshot_expires: snapshot.signed.expires };
}

export function rotateRootCommand(repo: string, keysDir: string, newKeysDir: string, now: Date): Printable {
  const versions = rotateRoot(repo, loadKeys(keysDir), keysDir, loadKeys(newKeysDir), newKeysDir, now);
  const rootPath = join(newKeysDir, 'root.json');
  writeFileAtomic(rootPath, serialize(readRepo(repo).root));
  return { repo, versions: { ...versions }, root_json: rootPath };
}
