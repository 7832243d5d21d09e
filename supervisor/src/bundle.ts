// Resolves a worker's entry file from the active worker bundle; the updater will swap the bundle dir.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerName } from '@raypher/shared/ipc';

/** The workers installed beside this supervisor: <repo>/workers. */
export function installedBundleDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'workers');
}

export function workerEntry(bundleDir: string, name: WorkerName): string {
  return join(bundleDir, name, 'dist', 'main.js');
}

export function bundleProblems(bundleDir: string, names: readonly WorkerName[]): string[] {
  return names.filter((n) => !existsSync(workerEntry(bundleDir, n))).map((n) => `${workerEntry(bundleDir, n)} is missing (run 'npm run build')`);
}
