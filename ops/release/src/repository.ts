// The repository operations: init, publish a target, refresh timestamp and snapshot, rotate root.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Metadata, Snapshot, TargetFile, Targets, Timestamp, type Root } from '@tufjs/models';
import type { TargetCustom } from '@raypher/worker-updater/release-format';
import { expiresAt } from './expiry.js';
import { repoError } from './failures.js';
import { signer, type KeySet, requireKey } from './keys.js';
import { metadataDir, pin, readRepo, readRootFile, SPEC_VERSION, targetsDir, writeRootAlias, writeTimestamp, writeVersioned, type RepoState } from './metadata-files.js';
import { allRoles, assertRootNames, buildRoot } from './root-metadata.js';

export interface RepoVersions {
  readonly root: number;
  readonly targets: number;
  readonly snapshot: number;
  readonly timestamp: number;
}

function versions(s: { root: Metadata<Root>; targets: Metadata<Targets>; snapshot: Metadata<Snapshot>; timestamp: Metadata<Timestamp> }): RepoVersions {
  return { root: s.root.signed.version, targets: s.targets.signed.version, snapshot: s.snapshot.signed.version, timestamp: s.timestamp.signed.version };
}

function signWith(md: Metadata<Root | Targets | Snapshot | Timestamp>, keys: KeySet, role: 'targets' | 'snapshot' | 'timestamp', root: Root, dir: string): void {
  const k = requireKey(keys, role, dir);
  assertRootNames(root, k, dir);
  md.sign(signer(k), false);
}

/** Writes snapshot v+1 pinning targets, then timestamp v+1 pinning that snapshot (timestamp last: the switch readers see). */
function commitSnapshotAndTimestamp(repo: string, state: RepoState, targetsBytes: Buffer, targetsVersion: number, keys: KeySet, dir: string, now: Date): { snapshot: Metadata<Snapshot>; timestamp: Metadata<Timestamp> } {
  const root = state.root.signed;
  const snapshot = new Metadata(new Snapshot({ version: state.snapshot.signed.version + 1, specVersion: SPEC_VERSION, expires: expiresAt('snapshot', now), meta: { 'targets.json': pin(targetsVersion, targetsBytes) } }));
  signWith(snapshot, keys, 'snapshot', root, dir);
  const snapshotBytes = writeVersioned(repo, 'snapshot', snapshot);
  const timestamp = new Metadata(new Timestamp({ version: state.timestamp.signed.version + 1, specVersion: SPEC_VERSION, expires: expiresAt('timestamp', now), snapshotMeta: pin(snapshot.signed.version, snapshotBytes) }));
  signWith(timestamp, keys, 'timestamp', root, dir);
  writeTimestamp(repo, timestamp);
  return { snapshot, timestamp };
}

function writeTargets(repo: string, state: RepoState, targets: Record<string, TargetFile>, keys: KeySet, dir: string, now: Date): RepoVersions {
  const md = new Metadata(new Targets({ version: state.targets.signed.version + 1, specVersion: SPEC_VERSION, expires: expiresAt('targets', now), targets }));
  signWith(md, keys, 'targets', state.root.signed, dir);
  const bytes = writeVersioned(repo, 'targets', md);
  const { snapshot, timestamp } = commitSnapshotAndTimestamp(repo, state, bytes, md.signed.version, keys, dir, now);
  return versions({ root: state.root, targets: md, snapshot, timestamp });
}

export function initRepo(repo: string, keys: KeySet, keysDir: string, now: Date): RepoVersions {
  if (existsSync(join(metadataDir(repo), '1.root.json'))) throw repoError(`${repo} is already a repository (metadata/1.root.json exists); publish into it, or choose an empty --repo`);
  const rootPath = join(keysDir, 'root.json');
  const root = existsSync(rootPath) ? readRootFile(rootPath) : null;
  if (root === null) throw repoError(`${rootPath} is missing; raypher-release keygen writes it beside the keys`);
  mkdirSync(metadataDir(repo), { recursive: true });
  mkdirSync(targetsDir(repo), { recursive: true });
  writeVersioned(repo, 'root', root);
  writeRootAlias(repo, root);
  // Version-0 placeholders so the first real versions are 1.
  const empty = (v: number) => ({ version: v, specVersion: SPEC_VERSION, expires: expiresAt('timestamp', now) });
  const state: RepoState = { root, targets: new Metadata(new Targets(empty(0))), snapshot: new Metadata(new Snapshot(empty(0))), timestamp: new Metadata(new Timestamp(empty(0))) };
  return writeTargets(repo, state, {}, keys, keysDir, now);
}

export interface PublishedTarget {
  readonly name: string;
  readonly length: number;
  readonly sha256: string;
  readonly versions: RepoVersions;
}

export function publishTarget(repo: string, bundlePath: string, custom: TargetCustom, keys: KeySet, keysDir: string, now: Date): PublishedTarget {
  const state = readRepo(repo);
  const name = basename(bundlePath);
  const existing = state.targets.signed.targets[name];
  if (existing !== undefined) throw repoError(`target ${name} is already published (sha256 ${existing.hashes.sha256?.slice(0, 12)}…); a release is never replaced, build a new version`);
  const reused = Object.values(state.targets.signed.targets).find((t) => (t.custom as { release_counter?: unknown; platform?: unknown }).release_counter === custom.release_counter && (t.custom as { platform?: unknown }).platform === custom.platform);
  if (reused !== undefined) throw repoError(`release_counter ${custom.release_counter} is already used by ${reused.path}; every release needs a higher counter (--release-counter)`);
  return addTarget(repo, bundlePath, name, custom, keys, keysDir, now);
}

/** Signs a file in as a target without publish's release checks (tests use it to play a rogue publisher). */
export function addTarget(repo: string, filePath: string, name: string, custom: TargetCustom | Record<string, string | number>, keys: KeySet, keysDir: string, now: Date): PublishedTarget {
  const state = readRepo(repo);
  const bytes = readFileSync(filePath);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const target = new TargetFile({ path: name, length: bytes.length, hashes: { sha256 }, unrecognizedFields: { custom: { ...custom } } });
  copyFileSync(filePath, join(targetsDir(repo), `${sha256}.${name}`));
  const v = writeTargets(repo, state, { ...state.targets.signed.targets, [name]: target }, keys, keysDir, now);
  return { name, length: bytes.length, sha256, versions: v };
}

/** Re-signs snapshot and timestamp with fresh expiry (targets unchanged). */
export function refreshRepo(repo: string, keys: KeySet, keysDir: string, now: Date): RepoVersions {
  const state = readRepo(repo);
  const targetsBytes = readFileSync(join(metadataDir(repo), `${state.targets.signed.version}.targets.json`));
  const { snapshot, timestamp } = commitSnapshotAndTimestamp(repo, state, targetsBytes, state.targets.signed.version, keys, keysDir, now);
  return versions({ root: state.root, targets: state.targets, snapshot, timestamp });
}

/** Root N+1 naming the new keys, signed by the old and the new root keys; then targets, snapshot, timestamp re-signed with the new keys. */
export function rotateRoot(repo: string, oldKeys: KeySet, oldDir: string, newKeys: KeySet, newDir: string, now: Date): RepoVersions {
  const state = readRepo(repo);
  const oldRoot = requireKey(oldKeys, 'root', oldDir);
  assertRootNames(state.root.signed, oldRoot, oldDir);
  const next = buildRoot(allRoles(newKeys, newDir), state.root.signed.version + 1, now);
  next.sign(signer(oldRoot), false);
  next.sign(signer(requireKey(newKeys, 'root', newDir)), true);
  writeVersioned(repo, 'root', next);
  writeRootAlias(repo, next);
  const rotated: RepoState = { ...state, root: next };
  return writeTargets(repo, rotated, state.targets.signed.targets, newKeys, newDir, now);
}
