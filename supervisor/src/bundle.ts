// Resolves a worker's entry file from the active worker bundle; the updater will swap the bundle dir.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerName } from '@raypher/shared/ipc';
import type { SlotInfo } from './slots/slots-file.js';

/** The workers installed beside this supervisor: <repo>/workers. */
export function installedBundleDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'workers');
}

function workerEntry(bundleDir: string, name: WorkerName): string {
  return join(bundleDir, name, 'dist', 'main.js');
}

export function bundleProblems(bundleDir: string, names: readonly WorkerName[]): string[] {
  return names.filter((n) => !existsSync(workerEntry(bundleDir, n))).map((n) => `${workerEntry(bundleDir, n)} is missing (run 'npm run build')`);
}

/** The installed workers as a slot: version and release_counter from its bundle.json when it is a built bundle, else this supervisor's version and 0. */
export function installedSlotInfo(bundleDir: string, fallbackVersion: string): SlotInfo {
  let version = fallbackVersion;
  let counter = 0;
  try {
    const m = JSON.parse(readFileSync(join(bundleDir, 'bundle.json'), 'utf8')) as { version?: unknown; release_counter?: unknown };
    if (typeof m.version === 'string') version = m.version;
    if (typeof m.release_counter === 'number' && Number.isInteger(m.release_counter)) counter = m.release_counter;
  } catch {
    /* the installed tree of a checkout has no bundle.json */
  }
  return { dir: bundleDir, version, release_counter: counter, added_at: new Date(0).toISOString(), committed_at: new Date(0).toISOString() };
}
