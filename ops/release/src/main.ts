// raypher-release: builds worker bundles and Linux packages, and keeps the signed TUF repository (keygen, init, bundle, publish, refresh, rotate-root).
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isRaypherError } from '@raypher/shared/errors';
import { bundleCommand } from './commands/bundle.js';
import { keygenCommand } from './commands/keygen.js';
import { packageCommand } from './commands/package.js';
import { publishCommand } from './commands/publish.js';
import { initCommand, refreshCommand, rotateRootCommand } from './commands/repo.js';
import { readReleaseEnv } from './env.js';
import { PACKAGE_ARCHES, type PackageArch } from './node-runtime.js';
import { printResult, type Printable } from './output.js';

const env = readReleaseEnv();
/** ops/release/dist → the checkout this tool belongs to. */
const defaultCheckout = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function run(json: boolean, fn: () => Printable): void {
  try {
    printResult(json, fn());
  } catch (err) {
    const code = isRaypherError(err) ? err.code : 'ERR_INTERNAL_UNEXPECTED';
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(json ? `${JSON.stringify({ error: { code, message } })}\n` : `raypher-release: ${code}: ${message}\n`);
    process.exitCode = 1;
  }
}

const repoOpts = {
  repo: { type: 'string', demandOption: true, describe: 'Repository directory (metadata/ and targets/)' },
  keys: { type: 'string', demandOption: true, describe: 'Directory of the role keys' },
} as const;

await yargs(hideBin(process.argv))
  .scriptName('raypher-release')
  .version(false)
  .option('json', { type: 'boolean', default: false, describe: 'Print results as JSON' })
  .command('keygen', 'Generate Ed25519 keys for root, targets, snapshot, timestamp and root.json v1', (y) => y.option('out', { type: 'string', demandOption: true }), (a) => run(a.json, () => keygenCommand(resolve(a.out), new Date())))
  .command('init', 'Create a repository signed with the keys (consistent snapshots)', (y) => y.options(repoOpts), (a) => run(a.json, () => initCommand(resolve(a.repo), resolve(a.keys), new Date())))
  .command(
    'bundle',
    'Build the worker bundle from the checkout',
    (y) => y.options({
      out: { type: 'string', demandOption: true },
      version: { type: 'string', describe: 'semver (default: package.json version)' },
      'release-counter': { type: 'number', describe: 'positive integer that only grows (default: commit count)' },
      checkout: { type: 'string', default: defaultCheckout, describe: 'Built checkout to bundle' },
    }),
    (a) => run(a.json, () => bundleCommand(resolve(a.checkout), resolve(a.out), a.version, a['release-counter'], env.SOURCE_DATE_EPOCH)),
  )
  .command(
    'package',
    'Build the self-contained Linux package (embedded Node, supervisor, raypherctl, the worker bundle, install.sh)',
    (y) => y.options({
      out: { type: 'string', demandOption: true },
      arch: { choices: PACKAGE_ARCHES, default: process.arch === 'arm64' ? 'arm64' : 'x64', describe: 'Target architecture (must be this machine\'s: native modules come from node_modules)' },
      version: { type: 'string', describe: 'semver (default: package.json version)' },
      'release-counter': { type: 'number', describe: 'positive integer that only grows (default: commit count)' },
      checkout: { type: 'string', default: defaultCheckout, describe: 'Built checkout to package' },
      'node-cache': { type: 'string', default: join(homedir(), '.cache', 'raypher-release'), describe: 'Where the Node runtime tarball is kept (fetched with npm pack when absent)' },
    }),
    (a) => run(a.json, () => packageCommand({
      checkout: resolve(a.checkout), outDir: resolve(a.out), arch: a.arch as PackageArch, nodeCache: resolve(a['node-cache']),
      version: a.version, releaseCounter: a['release-counter'], sourceDateEpoch: env.SOURCE_DATE_EPOCH,
    })),
  )
  .command(
    'publish <bundle>',
    'Add a bundle as a target and bump targets, snapshot and timestamp',
    (y) => y.options({ ...repoOpts, channel: { type: 'string', default: 'stable' } }).positional('bundle', { type: 'string', demandOption: true }),
    (a) => run(a.json, () => publishCommand(resolve(a.repo), resolve(a.keys), resolve(a.bundle), a.channel, new Date())),
  )
  .command('refresh', 'Re-sign snapshot and timestamp with fresh expiry', (y) => y.options(repoOpts), (a) => run(a.json, () => refreshCommand(resolve(a.repo), resolve(a.keys), new Date())))
  .command(
    'rotate-root',
    'Write root N+1 naming the keys in --new-keys, signed by the old and new root keys',
    (y) => y.options({ ...repoOpts, 'new-keys': { type: 'string', demandOption: true } }),
    (a) => run(a.json, () => rotateRootCommand(resolve(a.repo), resolve(a.keys), resolve(a['new-keys']), new Date())),
  )
  .demandCommand(1)
  .strict()
  .parseAsync();
