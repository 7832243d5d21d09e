// Which files of the checkout go into a bundle, and where: workers' dist, shared's dist, and the production dependency closure.
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { WORKER_NAMES } from '@raypher/shared/ipc';
import { bundleError } from './failures.js';

export interface BundleFile {
  /** POSIX path inside the bundle. */
  readonly path: string;
  readonly source: string;
  readonly executable: boolean;
}

export interface PackageJson {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  /** What the package ships besides dist (npm's own field): a worker's data files, such as the scanner's signatures. */
  files?: string[];
}

/** Never shipped: type declarations, source maps, TypeScript sources, build info, tests. */
const SKIP_FILE = /(\.d\.[mc]?ts|\.map|\.tsbuildinfo|(?<!\.d)\.[mc]?ts|\.test\.[mc]?js)$/;

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Every regular file under dir (sorted), skipping nested node_modules; a symlink or special file is refused. */
function walk(dir: string, keep: (rel: string) => boolean, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const st = lstatSync(join(dir, r));
    if (st.isDirectory()) {
      if (name !== 'node_modules' && keep(`${r}/`)) out.push(...walk(dir, keep, r));
    } else if (st.isFile()) {
      if (keep(r)) out.push(r);
    } else {
      throw bundleError(`${join(dir, r)} is a symbolic link or special file; bundles hold only regular files (remove it or vendor the package without links)`);
    }
  }
  return out;
}

/** Native add-ons: ship the compiled .node files, not the C sources and object files. */
function nativeFilter(pkgDir: string): (rel: string) => boolean {
  if (!existsSync(join(pkgDir, 'binding.gyp'))) return () => true;
  return (rel) => {
    if (rel.startsWith('deps/') || rel.startsWith('src/') || rel === 'binding.gyp') return false;
    if (!rel.startsWith('build/')) return true;
    return rel.endsWith('/') ? !/\/(obj|obj\.target|\.deps)\/$/.test(rel) : rel.endsWith('.node');
  };
}

export function addTree(files: BundleFile[], srcDir: string, destPrefix: string, keep: (rel: string) => boolean): void {
  for (const rel of walk(srcDir, (r) => r.endsWith('/') ? keep(r) : keep(r) && !SKIP_FILE.test(r))) {
    const source = join(srcDir, rel);
    files.push({ path: `${destPrefix}${rel}`, source, executable: (lstatSync(source).mode & 0o100) !== 0 });
  }
}

/** Maps a directory in the checkout to its place in the bundle (workers/<w>/ → <w>/, shared/ → node_modules/@raypher/shared/). */
function bundlePathOf(root: string, dir: string): string {
  const rel = relative(root, dir).split(sep).join('/');
  if (rel.startsWith('workers/')) return `${rel.slice('workers/'.length)}/`;
  if (rel === 'shared' || rel.startsWith('shared/')) return `node_modules/@raypher/${rel}/`;
  if (rel.startsWith('node_modules/')) return `${rel}/`;
  throw bundleError(`dependency directory ${dir} lies outside the checkout's node_modules; run npm ci in ${root}`);
}

/** Node's lookup: <from>/node_modules/<name>, then each parent up to the checkout root. */
function resolvePackage(root: string, from: string, name: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return null;
  }
}

export function sortFiles(files: BundleFile[]): BundleFile[] {
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface DepStart {
  readonly from: string;
  readonly pkg: PackageJson;
}

export function readPackageAt(dir: string): DepStart {
  return { from: dir, pkg: readPackage(dir) };
}

/** Adds the production dependency closure of the queued packages (the @raypher workspaces excepted), each once, at pathOf(its dir). */
export function addProductionDeps(root: string, files: BundleFile[], queue: DepStart[], pathOf: (dir: string) => string): void {
  const seen = new Set<string>();
  while (queue.length > 0) {
    const { from, pkg } = queue.shift() as DepStart;
    const deps = [...Object.keys(pkg.dependencies ?? {}).map((n) => ({ n, optional: false })), ...Object.keys(pkg.optionalDependencies ?? {}).map((n) => ({ n, optional: true }))];
    for (const { n, optional } of deps) {
      if (n.startsWith('@raypher/')) continue;
      const dir = resolvePackage(root, from, n);
      if (dir === null) {
        if (optional) continue;
        throw bundleError(`production dependency ${n} (needed by ${pkg.name ?? from}) is not installed; run npm ci`);
      }
      if (realpathSync(dir) !== dir) throw bundleError(`${dir} is a link (npm link or a workspace); bundles need installed packages, run npm ci`);
      if (seen.has(dir)) continue;
      seen.add(dir);
      addTree(files, dir, pathOf(dir), nativeFilter(dir));
      queue.push({ from: dir, pkg: readPackage(dir) });
    }
  }
}

export function collectBundleFiles(checkout: string): BundleFile[] {
  const root = realpathSync(checkout);
  const files: BundleFile[] = [];
  const queue: DepStart[] = [];
  for (const worker of WORKER_NAMES) {
    const dir = join(root, 'workers', worker);
    if (!existsSync(join(dir, 'dist', 'main.js'))) throw bundleError(`${join(dir, 'dist', 'main.js')} is missing; run 'npm run build' before raypher-release bundle`);
    files.push({ path: `${worker}/package.json`, source: join(dir, 'package.json'), executable: false });
    addTree(files, join(dir, 'dist'), `${worker}/dist/`, () => true);
    const pkg = readPackage(dir);
    for (const extra of (pkg.files ?? []).filter((f) => f !== 'dist')) {
      const source = join(dir, extra);
      if (!existsSync(source) || relative(dir, source).startsWith('..')) throw bundleError(`${worker}/package.json lists '${extra}' in files, but ${source} is not in the package`);
      if (lstatSync(source).isDirectory()) addTree(files, source, `${worker}/${extra}/`, () => true);
      else files.push({ path: `${worker}/${extra}`, source, executable: false });
    }
    queue.push({ from: dir, pkg });
  }
  const shared = join(root, 'shared');
  if (!existsSync(join(shared, 'dist', 'worker', 'index.js'))) throw bundleError(`${shared}/dist is missing; run 'npm run build' before raypher-release bundle`);
  files.push({ path: 'node_modules/@raypher/shared/package.json', source: join(shared, 'package.json'), executable: false });
  addTree(files, join(shared, 'dist'), 'node_modules/@raypher/shared/dist/', () => true);
  queue.push({ from: shared, pkg: readPackage(shared) });
  addProductionDeps(root, files, queue, (dir) => bundlePathOf(root, dir));
  return sortFiles(files);
}
