// Builds a worker bundle: bundle.json plus the collected files, as a byte-reproducible .tgz.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PROTOCOL_VERSION } from '@raypher/shared/ipc';
import { BUNDLE_MANIFEST, bundleFileName, currentNode, currentPlatform, isSemver, type BundleManifest } from '@raypher/worker-updater/release-format';
import { writeFileAtomic } from '@raypher/worker-updater/atomic-file';
import { collectBundleFiles } from './bundle-files.js';
import { bundleError, detail } from './failures.js';
import { tarBytes, type TarEntry } from './tar-writer.js';

export interface BundleOptions {
  readonly checkout: string;
  readonly outDir: string;
  readonly version?: string;
  readonly releaseCounter?: number;
  /** SOURCE_DATE_EPOCH when set; else the commit time of HEAD. */
  readonly sourceDateEpoch?: string;
}

export interface BuiltBundle {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly manifest: Omit<BundleManifest, 'files'>;
  readonly fileCount: number;
}

function git(checkout: string, args: string[]): string {
  try {
    return execFileSync('git', ['-C', checkout, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    throw bundleError(`git ${args.join(' ')} failed in ${checkout} (${detail(err)}); build from a git checkout or set SOURCE_DATE_EPOCH and pass --release-counter`, err);
  }
}

export function buildTime(checkout: string, sourceDateEpoch: string | undefined): number {
  const raw = sourceDateEpoch ?? git(checkout, ['log', '-1', '--format=%ct']);
  const secs = Number(raw);
  if (!Number.isSafeInteger(secs) || secs < 0) throw bundleError(`SOURCE_DATE_EPOCH ${JSON.stringify(raw)} is not a whole number of seconds since 1970`);
  return secs;
}

/** The default counter is the commit count of HEAD: it only grows along one release branch. */
function counter(checkout: string, given: number | undefined): number {
  const n = given ?? Number(git(checkout, ['rev-list', '--count', 'HEAD']));
  if (!Number.isSafeInteger(n) || n < 1) throw bundleError(`release counter ${String(given)} must be a positive integer (--release-counter N)`);
  return n;
}

export function buildBundle(opts: BundleOptions): BuiltBundle {
  const checkout = resolve(opts.checkout);
  const version = opts.version ?? (JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as { version: string }).version;
  if (!isSemver(version)) throw bundleError(`version ${JSON.stringify(version)} is not semver (e.g. 0.1.1); pass --version`);
  const mtime = buildTime(checkout, opts.sourceDateEpoch);
  const files = collectBundleFiles(checkout);
  const entries: TarEntry[] = [];
  const hashes: Record<string, string> = {};
  for (const f of files) {
    const data = readFileSync(f.source);
    hashes[f.path] = createHash('sha256').update(data).digest('hex');
    entries.push({ path: f.path, type: 'file', executable: f.executable, data });
  }
  const manifest: BundleManifest = {
    version,
    release_counter: counter(checkout, opts.releaseCounter),
    protocol: PROTOCOL_VERSION,
    node: currentNode(),
    platform: currentPlatform(),
    built_at: new Date(mtime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    files: hashes,
  };
  const manifestEntry: TarEntry = { path: BUNDLE_MANIFEST, type: 'file', data: Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`) };
  // Node's gzip header carries mtime 0 and a fixed OS byte, so equal tar bytes give equal .tgz bytes.
  const tgz = gzipSync(tarBytes([manifestEntry, ...entries], mtime), { level: 9 });
  mkdirSync(opts.outDir, { recursive: true });
  const path = join(resolve(opts.outDir), bundleFileName(version, manifest.platform));
  writeFileAtomic(path, tgz);
  const { files: _files, ...summary } = manifest;
  return { path, size: tgz.length, sha256: createHash('sha256').update(tgz).digest('hex'), manifest: summary, fileCount: files.length };
}
