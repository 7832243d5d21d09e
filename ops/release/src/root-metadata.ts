// Builds and checks root metadata: one Ed25519 key per role, threshold 1, consistent snapshots.
import { Metadata, Root } from '@tufjs/models';
import { expiresAt, ROLES } from './expiry.js';
import { keysError } from './failures.js';
import type { KeySet, RoleKey } from './keys.js';
import { SPEC_VERSION } from './metadata-files.js';

export function buildRoot(keys: Record<(typeof ROLES)[number], RoleKey>, version: number, now: Date): Metadata<Root> {
  const root = new Root({ version, specVersion: SPEC_VERSION, expires: expiresAt('root', now), consistentSnapshot: true });
  for (const role of ROLES) root.addKey(keys[role].key, role);
  return new Metadata(root);
}

export function allRoles(set: KeySet, dir: string): Record<(typeof ROLES)[number], RoleKey> {
  const missing = ROLES.filter((r) => set[r] === undefined);
  if (missing.length > 0) throw keysError(`${dir} lacks ${missing.map((r) => `${r}.key`).join(', ')}; a full key set comes from raypher-release keygen --out ${dir}`);
  return set as Record<(typeof ROLES)[number], RoleKey>;
}

/** Refuses to sign with a key the repository's root does not name for that role. */
export function assertRootNames(root: Root, roleKey: RoleKey, dir: string): void {
  const role = root.roles[roleKey.role];
  if (role === undefined || !role.keyIDs.includes(roleKey.key.keyID)) {
    const fix = roleKey.role === 'root' ? 'rotate-root needs the current root key in --keys' : 'use the keys this repository was made with, or rotate-root to these keys';
    throw keysError(`the ${roleKey.role} key in ${dir} (keyid ${roleKey.key.keyID.slice(0, 12)}…) is not the one root v${root.version} names for ${roleKey.role}; ${fix}`);
  }
}
