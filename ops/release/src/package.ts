// Builds the self-contained Linux package: raypher-<version>-linux-<arch>.tar.gz with its own Node runtime,
// the supervisor and raypherctl, the worker bundle as the first slot (workers/), install.sh and MANIFEST.sha256.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readBundleArchive } from '@raypher/worker-updater/tar-reader';
import { writeFileAtomic } from '@raypher/worker-updater/atomic-file';
import { buildBundle, buildTime } from './bundle.js';
import { packageError } from './failures.js';
import { fetchNodeRuntime, NODE_RUNTIME, type PackageArch } from './node-runtime.js';
import { collectPackageFiles, readSource } from './package-files.js';
import { tarBytes, type TarEntry } from './tar-writer.js';

export const PACKAGE_MANIFEST = 'MANIFEST.sha256';

export interface PackageOptions {
  readonly checkout: string;
  readonly outDir: string;
  readonly arch: PackageArch;
  readonly nodeCache: string;
  readonly version?: string;
  readonly releaseCounter?: number;
  readonly sourceDateEpoch?: string;
}

export interface BuiltPackage {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly version: string;
  readonly arch: PackageArch;
  readonly files: number;
  readonly node: string;
  readonly nodeIntegrity: string;
}

export function packageFileName(version: string, arch: PackageArch): string {
  return `raypher-${version}-linux-${arch}.tar.gz`;
}

/** Native modules come from this checkout's node_modules, so they only match a runtime of this machine's arch and ABI. */
function checkHost(arch: PackageArch): void {
  if (process.platform !== 'linux') throw packageError(`Linux packages are built on Linux (this is ${process.platform})`);
  if (arch !== process.arch) {
    throw packageError(`--arch ${arch} on a ${process.arch} machine: sqlite3's and koffi's native modules in node_modules are built for ${process.arch}; build the ${arch} package on a ${arch} runner (see .github/workflows/release.yml)`);
  }
  if (process.versions.modules !== NODE_RUNTIME.abi) {
    throw packageError(`this Node (${process.version}, ABI ${process.versions.modules}) differs from the packaged runtime ${NODE_RUNTIME.version} (ABI ${NODE_RUNTIME.abi}); run npm ci under Node ${NODE_RUNTIME.version} so the native modules match`);
  }
}

/** Directory entries for every parent of the files, so the extracted tree has fixed modes. */
function dirEntries(paths: readonly string[]): TarEntry[] {
  const dirs = new Set<string>();
  for (const p of paths) for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) dirs.add(p.slice(0, i));
  return [...dirs].sort().map((path) => ({ path, type: 'dir' as const }));
}

export function buildPackage(opts: PackageOptions): BuiltPackage {
  checkHost(opts.arch);
  const checkout = resolve(opts.checkout);
  const runtime = fetchNodeRuntime(opts.arch, opts.nodeCache);
  const scratch = mkdtempSync(join(tmpdir(), 'raypher-package-'));
  try {
    const bundle = buildBundle({ checkout, outDir: scratch, version: opts.version, releaseCounter: opts.releaseCounter, sourceDateEpoch: opts.sourceDateEpoch });
    const version = bundle.manifest.version;
    const mtime = buildTime(checkout, opts.sourceDateEpoch);
    const files: Array<{ path: string; executable: boolean; data: Buffer }> = [];
    for (const e of readBundleArchive(readFileSync(bundle.path), { maxBytes: 1024 ** 3, maxEntries: 200_000 })) {
      if (e.type === 'file') files.push({ path: `workers/${e.path}`, executable: e.executable, data: e.data });
    }
    for (const f of collectPackageFiles(checkout)) files.push({ path: f.path, executable: f.executable, data: readSource(f, version) });
    for (const f of runtime.files) files.push({ path: `node/${f.path}`, executable: f.executable, data: f.data });
    files.push({ path: 'VERSION', executable: false, data: Buffer.from(`${version}\n`) });
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const manifest = files.map((f) => `${createHash('sha256').update(f.data).digest('hex')}  ${f.path}\n`).join('');
    files.push({ path: PACKAGE_MANIFEST, executable: false, data: Buffer.from(manifest) });
    const top = `raypher-${version}-linux-${opts.arch}`;
    const entries: TarEntry[] = [
      { path: top, type: 'dir' },
      ...dirEntries(files.map((f) => f.path)).map((d) => ({ ...d, path: `${top}/${d.path}` })),
      ...files.map((f) => ({ path: `${top}/${f.path}`, type: 'file' as const, executable: f.executable, data: f.data })),
    ];
    const tgz = gzipSync(tarBytes(entries, mtime), { level: 6 });
    mkdirSync(opts.outDir, { recursive: true });
    const path = join(resolve(opts.outDir), packageFileName(version, opts.arch));
    writeFileAtomic(path, tgz);
    return { path, size: tgz.length, sha256: createHash('sha256').update(tgz).digest('hex'), version, arch: opts.arch, files: files.length, node: NODE_RUNTIME.version, nodeIntegrity: runtime.integrity };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
