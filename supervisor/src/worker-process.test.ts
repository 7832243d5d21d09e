// A real forked worker: the supervisor listens for an event only from the workers whose grant names it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultConfig } from '@raypher/shared/config';
import type { BundleStaged, WorkerName } from '@raypher/shared/ipc';
import { closeLogger, createLogger } from '@raypher/shared/logging';
import { homePaths } from '@raypher/shared/paths';
import { WorkerProcess } from './worker-process.js';

const sharedDist = (sub: string) => pathToFileURL(join(process.cwd(), 'shared', 'dist', sub, 'index.js')).href;
const STAGED: BundleStaged = { version: '9.9.9', release_counter: 99, dir: '/nowhere', auto_apply: true };

/** A worker that announces a staged bundle as soon as it starts, whatever its name. */
function claimsStagedWorker(dir: string, name: WorkerName): string {
  const entry = join(dir, `${name}.mjs`);
  writeFileSync(
    entry,
    `import { runWorker } from '${sharedDist('worker')}';\n` +
      `import { WorkerEvents } from '${sharedDist('ipc')}';\n` +
      `await runWorker('${name}', { async start(ctx) { ctx.emit(WorkerEvents.bundleStaged, ${JSON.stringify(STAGED)}); return { stop: async () => undefined }; } });\n`,
  );
  return entry;
}

async function eventsFrom(name: WorkerName): Promise<Array<[BundleStaged, WorkerName]>> {
  const home = mkdtempSync(join(tmpdir(), 'raypher-wp-'));
  const logger = createLogger({ process: 'supervisor', dir: join(home, 'logs'), level: 'error', rotation: 'daily', retentionDays: 1, console: false });
  const seen: Array<[BundleStaged, WorkerName]> = [];
  const entry = claimsStagedWorker(home, name);
  let running: () => void = () => undefined;
  const isRunning = new Promise<void>((resolve) => (running = resolve));
  const worker = new WorkerProcess({
    name,
    entry: () => entry,
    config: defaultConfig,
    paths: homePaths(home, 'user'),
    vaultToken: 'ab'.repeat(32),
    listeners: [],
    env: { PATH: process.env.PATH ?? '' },
    logger,
    audit: () => undefined,
    alert: () => undefined,
    onStateChange: (w) => (w.state === 'ready' || w.state === 'running' ? running() : undefined),
    events: { bundleStaged: (staged, from) => seen.push([staged, from]) },
  });
  try {
    worker.start();
    // The event goes out before ready on the same channel, so it has been handled (or dropped) by now.
    await isRunning;
    return seen;
  } finally {
    await worker.stop('test done');
    await closeLogger(logger);
    rmSync(home, { recursive: true, force: true });
  }
}

describe('granted worker events', () => {
  it('hands the updater\'s bundleStaged to the supervisor, with the sender', async () => {
    expect(await eventsFrom('updater')).toEqual([[STAGED, 'updater']]);
  });

  it('ignores bundleStaged from a worker whose grant does not name it (a proxy cannot start an apply)', async () => {
    expect(await eventsFrom('proxy')).toEqual([]);
  });
});
