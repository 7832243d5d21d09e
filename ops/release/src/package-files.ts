// What a Linux package holds besides the worker bundle: the supervisor, raypherctl, shared, their production
// dependencies, the installer files from installers/linux, and the example config.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { addProductionDeps, addTree, readPackageAt, sortFiles, type BundleFile } from './bundle-files.js';
import { packageError } from './failures.js';

/** installers/linux → package root: the installer, the wrappers that run the embedded Node, the service units. */
const INSTALLER_FILES: ReadonlyArray<{ source: string; path: string; executable: boolean }> = [
  { source: 'installers/linux/install.sh', path: 'install.sh', executable: true },
  { source: 'installers/linux/bin/raypher', path: 'bin/raypher', executable: true },
  { source: 'installers/linux/bin/raypherctl', path: 'bin/raypherctl', executable: true },
  { source: 'installers/linux/raypher.service', path: 'share/systemd/raypher.service', executable: false },
  { source: 'installers/linux/raypher.socket', path: 'share/systemd/raypher.socket', executable: false },
  { source: 'installers/linux/raypher-user.service', path: 'share/systemd/raypher-user.service', executable: false },
  { source: 'config/raypher.example.toml', path: 'share/raypher.example.toml', executable: false },
];

/** The package.json files whose version field the package rewrites to the version it is built as. */
export const VERSIONED = ['supervisor/package.json', 'cli/package.json', 'node_modules/@raypher/shared/package.json'] as const;

function checkoutPath(root: string, dir: string): string {
  const rel = relative(root, dir).split(sep).join('/');
  if (rel.startsWith('..') || !rel.split('/').includes('node_modules')) throw packageError(`dependency directory ${dir} lies outside the checkout's node_modules; run npm ci in ${root}`);
  return `${rel}/`;
}

export function collectPackageFiles(checkout: string): BundleFile[] {
  const root = realpathSync(checkout);
  const files: BundleFile[] = [];
  for (const part of ['supervisor', 'cli', 'shared']) {
    const dir = join(root, part);
    if (!existsSync(join(dir, 'dist', 'main.js')) && part !== 'shared') throw packageError(`${join(dir, 'dist', 'main.js')} is missing; run 'npm run build' before raypher-release package`);
    const dest = part === 'shared' ? 'node_modules/@raypher/shared/' : `${part}/`;
    files.push({ path: `${dest}package.json`, source: join(dir, 'package.json'), executable: false });
    addTree(files, join(dir, 'dist'), `${dest}dist/`, () => true);
    if (part !== 'shared') addTree(files, join(dir, 'bin'), `${dest}bin/`, () => true);
  }
  addProductionDeps(root, files, ['supervisor', 'cli', 'shared'].map((p) => readPackageAt(join(root, p))), (dir) => checkoutPath(root, dir));
  for (const f of INSTALLER_FILES) {
    const source = join(root, f.source);
    if (!existsSync(source)) throw packageError(`${source} is missing from the checkout; the package needs it`);
    files.push({ path: f.path, source, executable: f.executable });
  }
  return sortFiles(files);
}

/** A package.json with its version set to the package's, so `raypher --version` and status report it. */
export function withVersion(data: Buffer, version: string): Buffer {
  const pkg = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
  return Buffer.from(`${JSON.stringify({ ...pkg, version }, null, 2)}\n`);
}

export function readSource(f: BundleFile, version: string): Buffer {
  const data = readFileSync(f.source);
  return (VERSIONED as readonly string[]).includes(f.path) ? withVersion(data, version) : data;
}
