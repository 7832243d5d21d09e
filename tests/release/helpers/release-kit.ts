// A signed repository in a temp dir, served over loopback, plus small synthetic bundles: what the updater tests start from.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PROTOCOL_VERSION } from '@raypher/shared/ipc';
import { keygenCommand } from '../../../ops/release/src/commands/keygen.js';
import { publishCommand } from '../../../ops/release/src/commands/publish.js';
import { loadKeys, type KeySet } from '../../../ops/release/src/keys.js';
import { initRepo } from '../../../ops/release/src/repository.js';
import { tarBytes, type TarEntry } from '../../../ops/release/src/tar-writer.js';
import type { CheckContext } from '../../../workers/updater/src/check.js';
import { currentNode, currentPlatform, type BundleManifest } from '../../../workers/updater/src/release-format.js';
import { readState, type UpdaterState } from '../../../workers/updater/src/update-state.js';
import { updaterPaths } from '../../../workers/updater/src/updater-paths.js';
import { RepoServer } from './repo-server.js';

export interface Kit {
  readonly dir: string;
  readonly keysDir: string;
  readonly repoDir: string;
  readonly dataDir: string;
  readonly keys: KeySet;
  readonly server: RepoServer;
}

const kits: Kit[] = [];

export async function makeKit(): Promise<Kit> {
  const dir = mkdtempSync(join(tmpdir(), 'raypher-release-'));
  const keysDir = join(dir, 'keys');
  const repoDir = join(dir, 'repo');
  keygenCommand(keysDir, new Date());
  const keys = loadKeys(keysDir);
  initRepo(repoDir, keys, keysDir, new Date());
  const kit = { dir, keysDir, repoDir, dataDir: join(dir, 'data'), keys, server: await RepoServer.start(repoDir) };
  kits.push(kit);
  return kit;
}

export async function disposeKits(): Promise<void> {
  for (const k of kits.splice(0)) {
    await k.server.close();
    rmSync(k.dir, { recursive: true, force: true });
  }
}

export interface SyntheticOptions {
  readonly version: string;
  readonly counter: number;
  readonly protocol?: number;
  /** Number of filler files (2 KiB each) beside the worker entry files. */
  readonly files?: number;
  readonly manifest?: Partial<BundleManifest>;
}

/** A small, valid bundle: bundle.json plus <worker>/dist/main.js files and fillers, written with the release tool's tar writer. */
export function syntheticBundle(dir: string, o: SyntheticOptions): string {
  const entries: TarEntry[] = ['proxy', 'scanner', 'updater', 'vault'].map((w) => ({ path: `${w}/dist/main.js`, type: 'file' as const, data: Buffer.from(`// ${w} ${o.version}\n`) }));
  for (let i = 0; i < (o.files ?? 8); i++) entries.push({ path: `node_modules/filler/f${String(i).padStart(5, '0')}.js`, type: 'file', data: Buffer.alloc(2048, i % 251) });
  const files = Object.fromEntries(entries.map((e) => [e.path, createHash('sha256').update(e.data ?? Buffer.alloc(0)).digest('hex')]));
  const manifest: BundleManifest = { version: o.version, release_counter: o.counter, protocol: o.protocol ?? PROTOCOL_VERSION, node: currentNode(), platform: currentPlatform(), built_at: '2026-11-01T00:00:00Z', files, ...o.manifest };
  const path = join(dir, `raypher-bundle-${o.version}-${currentPlatform()}.tgz`);
  writeFileSync(path, gzipSync(tarBytes([{ path: 'bundle.json', type: 'file', data: Buffer.from(JSON.stringify(manifest)) }, ...entries], 1_700_000_000)));
  return path;
}

export function publishSynthetic(kit: Kit, o: SyntheticOptions & { channel?: string }): { name: string; sha256: string } {
  const out = mkdtempSync(join(kit.dir, 'bundle-'));
  const r = publishCommand(kit.repoDir, kit.keysDir, syntheticBundle(out, o), o.channel ?? 'stable', new Date());
  return { name: String(r.target), sha256: String(r.sha256) };
}

export function checkContext(kit: Kit, extra: Partial<CheckContext> = {}): CheckContext {
  return {
    dataDir: kit.dataDir,
    protocols: [PROTOCOL_VERSION],
    settings: { metadataUrl: kit.server.metadataUrl, targetsUrl: kit.server.targetsUrl, trustedRoot: join(kit.keysDir, 'root.json'), channel: 'stable', checkIntervalSecs: 21_600 },
    ...extra,
  };
}

export interface Floors {
  /** Version of each trusted metadata file tuf-js keeps (its rollback floors). */
  readonly metadata: Record<string, number>;
  readonly releaseCounter: number;
  readonly staged: string | null;
  readonly bundleDirs: string[];
}

export function floors(kit: Kit): Floors {
  const paths = updaterPaths(kit.dataDir);
  const metadata: Record<string, number> = {};
  if (existsSync(paths.trustedMetadata)) {
    for (const f of readdirSync(paths.trustedMetadata).sort()) metadata[f] = (JSON.parse(readFileSync(join(paths.trustedMetadata, f), 'utf8')) as { signed: { version: number } }).signed.version;
  }
  const s = state(kit);
  return { metadata, releaseCounter: s.floor.release_counter, staged: s.staged?.version ?? null, bundleDirs: existsSync(paths.bundles) ? readdirSync(paths.bundles).sort() : [] };
}

export function state(kit: Kit): UpdaterState {
  return readState(updaterPaths(kit.dataDir).stateFile, new Date());
}

/** Resolves to the thrown error (or fails the test when nothing was thrown). */
export async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { code: (err as { code?: string }).code ?? 'none', message: (err as Error).message };
  }
  throw new Error('expected the check to be refused, but it passed');
}
