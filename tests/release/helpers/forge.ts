// Hand-made metadata for attack tests: timestamps and snapshots with chosen versions, pins, expiry and signing keys.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, Snapshot, Targets, Timestamp } from '@tufjs/models';
import type { Role } from '../../../ops/release/src/expiry.js';
import { signer, tufKey, type RoleKey } from '../../../ops/release/src/keys.js';
import { metadataDir, pin, readRepo, serialize, SPEC_VERSION, writeTimestamp, writeVersioned } from '../../../ops/release/src/metadata-files.js';

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A well-formed Ed25519 key that no root names. */
export function foreignKey(role: Role): RoleKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { role, key: tufKey(publicKey), privateKey };
}

export function metadataBytes(repo: string, file: string): Buffer {
  return readFileSync(join(metadataDir(repo), file));
}

/** timestamp.json version `version` pinning N.snapshot.json as it is on disk, signed by `key`. */
export function forgeTimestamp(repo: string, o: { version?: number; snapshotVersion: number; key: RoleKey; expiresInDays?: number }): Metadata<Timestamp> {
  const version = o.version ?? readRepo(repo).timestamp.signed.version + 1;
  const snapshotBytes = metadataBytes(repo, `${o.snapshotVersion}.snapshot.json`);
  const md = new Metadata(new Timestamp({ version, specVersion: SPEC_VERSION, expires: inDays(o.expiresInDays ?? 1), snapshotMeta: pin(o.snapshotVersion, snapshotBytes) }));
  md.sign(signer(o.key), false);
  writeTimestamp(repo, md);
  return md;
}

/** N.snapshot.json pinning M.targets.json as it is on disk; returned as bytes when `write` is false (to serve elsewhere). */
export function forgeSnapshot(repo: string, o: { version: number; targetsVersion: number; key: RoleKey; write?: boolean }): Buffer {
  const md = new Metadata(new Snapshot({ version: o.version, specVersion: SPEC_VERSION, expires: inDays(7), meta: { 'targets.json': pin(o.targetsVersion, metadataBytes(repo, `${o.targetsVersion}.targets.json`)) } }));
  md.sign(signer(o.key), false);
  return o.write === false ? serialize(md) : writeVersioned(repo, 'snapshot', md);
}

/** N.targets.json with the current targets, signed by `key` (e.g. a key the root no longer names). */
export function forgeTargets(repo: string, o: { version: number; key: RoleKey }): Buffer {
  const current = readRepo(repo).targets.signed.targets;
  const md = new Metadata(new Targets({ version: o.version, specVersion: SPEC_VERSION, expires: inDays(30), targets: current }));
  md.sign(signer(o.key), false);
  return writeVersioned(repo, 'targets', md);
}
