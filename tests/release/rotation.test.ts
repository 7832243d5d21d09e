// Root rotation: root 2 signed by the old and the new root keys is accepted; metadata signed by a retired key is refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireKey } from '../../ops/release/src/keys.js';
import { readRepo } from '../../ops/release/src/metadata-files.js';
import { checkForUpdate } from '../../workers/updater/src/check.js';
import { updaterPaths } from '../../workers/updater/src/updater-paths.js';
import { releaseJson } from './helpers/cli.js';
import { forgeSnapshot, forgeTargets, forgeTimestamp } from './helpers/forge.js';
import { checkContext, disposeKits, floors, makeKit, publishSynthetic, refusal, syntheticBundle } from './helpers/release-kit.js';
import { loadKeys } from '../../ops/release/src/keys.js';

afterEach(disposeKits);

describe('root rotation', () => {
  it('accepts root 2 signed by both root keys, then refuses targets signed only by the retired targets key', async () => {
    const kit = await makeKit();
    publishSynthetic(kit, { version: '0.1.1', counter: 1 });
    expect((await checkForUpdate(checkContext(kit))).result).toBe('staged');

    const newKeys = join(kit.dir, 'keys-2');
    await releaseJson(['keygen', '--out', newKeys]);
    const rotated = await releaseJson(['rotate-root', '--repo', kit.repoDir, '--keys', kit.keysDir, '--new-keys', newKeys]);
    expect(rotated.versions).toMatchObject({ root: 2 });
    const root2 = JSON.parse(readFileSync(join(kit.repoDir, 'metadata', '2.root.json'), 'utf8')) as { signatures: Array<{ keyid: string }> };
    const oldRootId = requireKey(kit.keys, 'root', kit.keysDir).key.keyID;
    const next = loadKeys(newKeys);
    const newRootId = requireKey(next, 'root', newKeys).key.keyID;
    expect(root2.signatures.map((s) => s.keyid).sort()).toEqual([oldRootId, newRootId].sort());

    // The next release is published with the new keys only; the client walks root 1 → 2 and stages it.
    await releaseJson(['publish', '--repo', kit.repoDir, '--keys', newKeys, syntheticBundle(kit.dir, { version: '0.1.2', counter: 2 })]);
    const out = await checkForUpdate(checkContext(kit));
    expect(out).toMatchObject({ result: 'staged', staged: { version: '0.1.2' } });
    const trustedRoot = JSON.parse(readFileSync(join(updaterPaths(kit.dataDir).trustedMetadata, 'root.json'), 'utf8')) as { signed: { version: number } };
    expect(trustedRoot.signed.version).toBe(2);

    // Someone holding only the retired targets key signs a new targets file (snapshot and timestamp properly signed).
    const state = readRepo(kit.repoDir);
    const tv = state.targets.signed.version + 1;
    const sv = state.snapshot.signed.version + 1;
    forgeTargets(kit.repoDir, { version: tv, key: requireKey(kit.keys, 'targets', kit.keysDir) });
    forgeSnapshot(kit.repoDir, { version: sv, targetsVersion: tv, key: requireKey(next, 'snapshot', newKeys) });
    forgeTimestamp(kit.repoDir, { snapshotVersion: sv, key: requireKey(next, 'timestamp', newKeys) });
    const before = floors(kit);
    const r = await refusal(checkForUpdate(checkContext(kit)));
    expect(r.code).toBe('ERR_UPDATE_VERIFY');
    expect(r.message).toMatch(/targets/i);
    expect(floors(kit)).toEqual(before);
  });

  it('refuses a timestamp signed by the retired timestamp key after rotation', async () => {
    const kit = await makeKit();
    publishSynthetic(kit, { version: '0.1.1', counter: 1 });
    const newKeys = join(kit.dir, 'keys-2');
    await releaseJson(['keygen', '--out', newKeys]);
    await releaseJson(['rotate-root', '--repo', kit.repoDir, '--keys', kit.keysDir, '--new-keys', newKeys]);
    expect((await checkForUpdate(checkContext(kit))).result).toBe('staged');
    forgeTimestamp(kit.repoDir, { snapshotVersion: readRepo(kit.repoDir).snapshot.signed.version, key: requireKey(kit.keys, 'timestamp', kit.keysDir) });
    const before = floors(kit);
    const r = await refusal(checkForUpdate(checkContext(kit)));
    expect(r.code).toBe('ERR_UPDATE_VERIFY');
    expect(r.message).toMatch(/timestamp/i);
    expect(floors(kit)).toEqual(before);
  });

  it('refuses to rotate with a root key the repository does not name', async () => {
    const kit = await makeKit();
    const a = join(kit.dir, 'keys-a');
    const b = join(kit.dir, 'keys-b');
    await releaseJson(['keygen', '--out', a]);
    await releaseJson(['keygen', '--out', b]);
    await expect(releaseJson(['rotate-root', '--repo', kit.repoDir, '--keys', a, '--new-keys', b])).rejects.toThrow(/ERR_RELEASE_KEYS.*the root key in .* is not the one root v1 names for root; rotate-root needs the current root key/);
  });
});
