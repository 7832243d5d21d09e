// Reading and writing signed metadata in a consistent-snapshot repository: metadata/<v>.<role>.json, timestamp.json.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, MetaFile, MetadataKind, Root, Snapshot, Targets, Timestamp } from '@tufjs/models';
import { writeFileAtomic } from '@raypher/worker-updater/atomic-file';
import { detail, repoError } from './failures.js';

export const SPEC_VERSION = '1.0.31';

export interface RepoState {
  readonly root: Metadata<Root>;
  readonly timestamp: Metadata<Timestamp>;
  readonly snapshot: Metadata<Snapshot>;
  readonly targets: Metadata<Targets>;
}

export function metadataDir(repo: string): string {
  return join(repo, 'metadata');
}

export function targetsDir(repo: string): string {
  return join(repo, 'targets');
}

export function serialize(md: Metadata<Root | Timestamp | Snapshot | Targets>): Buffer {
  return Buffer.from(`${JSON.stringify(md.toJSON(), null, 1)}\n`);
}

/** The meta entry that pins a file by version, length and hash (so mix-and-match is caught, not only rollback). */
export function pin(version: number, bytes: Buffer): MetaFile {
  return new MetaFile({ version, length: bytes.length, hashes: { sha256: createHash('sha256').update(bytes).digest('hex') } });
}

function readJson(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw repoError(`${path} is missing; is this a repository made by raypher-release init?`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw repoError(`${path} is not valid JSON (${detail(err)}); restore it from the published copy`, err);
  }
}

type JsonObject = Parameters<typeof Root.fromJSON>[0];

function fromJson(kind: MetadataKind, json: JsonObject): Metadata<Root | Timestamp | Snapshot | Targets> {
  switch (kind) {
    case MetadataKind.Root:
      return Metadata.fromJSON(MetadataKind.Root, json);
    case MetadataKind.Timestamp:
      return Metadata.fromJSON(MetadataKind.Timestamp, json);
    case MetadataKind.Snapshot:
      return Metadata.fromJSON(MetadataKind.Snapshot, json);
    case MetadataKind.Targets:
      return Metadata.fromJSON(MetadataKind.Targets, json);
  }
}

function parse<T extends Root | Timestamp | Snapshot | Targets>(kind: MetadataKind, path: string): Metadata<T> {
  const json = readJson(path) as JsonObject;
  try {
    return fromJson(kind, json) as Metadata<T>;
  } catch (err) {
    throw repoError(`${path} is not valid ${kind} metadata (${detail(err)})`, err);
  }
}

export function latestRootVersion(repo: string): number {
  const dir = metadataDir(repo);
  if (!existsSync(dir)) throw repoError(`${repo} has no metadata/ directory; run raypher-release init --repo ${repo} --keys DIR first`);
  const versions = readdirSync(dir).map((f) => /^(\d+)\.root\.json$/.exec(f)?.[1]).filter((v): v is string => v !== undefined).map(Number);
  if (versions.length === 0) throw repoError(`${dir} holds no N.root.json; run raypher-release init`);
  return Math.max(...versions);
}

export function readRepo(repo: string): RepoState {
  const dir = metadataDir(repo);
  const root = parse<Root>(MetadataKind.Root, join(dir, `${latestRootVersion(repo)}.root.json`));
  const timestamp = parse<Timestamp>(MetadataKind.Timestamp, join(dir, 'timestamp.json'));
  const snapshot = parse<Snapshot>(MetadataKind.Snapshot, join(dir, `${timestamp.signed.snapshotMeta.version}.snapshot.json`));
  const targetsMeta = snapshot.signed.meta['targets.json'];
  if (targetsMeta === undefined) throw repoError(`snapshot ${snapshot.signed.version} does not list targets.json; the repository is damaged`);
  const targets = parse<Targets>(MetadataKind.Targets, join(dir, `${targetsMeta.version}.targets.json`));
  return { root, timestamp, snapshot, targets };
}

export function readRootFile(path: string): Metadata<Root> {
  return parse<Root>(MetadataKind.Root, path);
}

/** Versioned files never change once written; timestamp.json is replaced atomically and last, so readers see one state. */
export function writeVersioned(repo: string, role: 'root' | 'snapshot' | 'targets', md: Metadata<Root | Snapshot | Targets>): Buffer {
  const bytes = serialize(md);
  const path = join(metadataDir(repo), `${md.signed.version}.${role}.json`);
  if (existsSync(path)) throw repoError(`${path} already exists; versioned metadata is never rewritten (was the repository changed by two publishers at once?)`);
  writeFileAtomic(path, bytes);
  return bytes;
}

export function writeTimestamp(repo: string, md: Metadata<Timestamp>): void {
  writeFileAtomic(join(metadataDir(repo), 'timestamp.json'), serialize(md));
}

export function writeRootAlias(repo: string, md: Metadata<Root>): void {
  writeFileAtomic(join(metadataDir(repo), 'root.json'), serialize(md));
}

export { MetadataKind };
