// The TUF attacks against the updater core: each refused with a clear error, nothing staged, the floors unchanged; and a
// release for a newer protocol, which is not an attack: it waits for a newer supervisor without a refusal.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@raypher/shared/ipc';
import { requireKey } from '../../ops/release/src/keys.js';
import { refreshRepo, addTarget } from '../../ops/release/src/repository.js';
import { readRepo } from '../../ops/release/src/metadata-files.js';
import { checkForUpdate } from '../../workers/updater/src/check.js';
import { currentNode, currentPlatform } from '../../workers/updater/src/release-format.js';
import { forgeSnapshot, forgeTimestamp, foreignKey, metadataBytes } from './helpers/forge.js';
import { checkContext, disposeKits, floors, makeKit, publishSynthetic, refusal, state, syntheticBundle, type Kit } from './helpers/release-kit.js';

afterEach(disposeKits);

/** A repository with 0.1.1 (counter 1) published and staged: the floors every attack must leave alone. */
async function stagedKit(): Promise<Kit> {
  const kit = await makeKit();
  publishSynthetic(kit, { version: '0.1.1', counter: 1 });
  expect((await checkForUpdate(checkContext(kit))).result).toBe('staged');
  return kit;
}

function targetFile(kit: Kit, name: string, sha256: string): string {
  return join(kit.repoDir, 'targets', `${sha256}.${name}`);
}

async function expectRefusedUnchanged(kit: Kit, code: string, pattern: RegExp, extra = {}): Promise<void> {
  const before = floors(kit);
  const r = await refusal(checkForUpdate(checkContext(kit, extra)));
  expect(r.code).toBe(code);
  expect(r.message).toMatch(pattern);
  expect(floors(kit)).toEqual(before);
  const s = state(kit);
  expect(s).toMatchObject({ phase: 'failed', staged: { version: '0.1.1' }, attempt: null, last_check: { result: 'failed', error_code: code } });
  expect(readdirSync(join(kit.dataDir, 'updater', 'downloads'))).toEqual([]);
}

const rogueCustom = (version: string, counter: number) => ({ version, release_counter: counter, protocol: PROTOCOL_VERSION, channel: 'stable', platform: currentPlatform(), node_abi: currentNode().abi });

describe('update attacks', () => {
  it('tampered target bytes: the hash does not match the signed one', async () => {
    const kit = await stagedKit();
    const t = publishSynthetic(kit, { version: '0.1.2', counter: 2 });
    const file = targetFile(kit, t.name, t.sha256);
    const bytes = readFileSync(file);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_VERIFY', /bundle raypher-bundle-0\.1\.2.* failed TUF verification: .*hash/i);
    expect(state(kit).last_check?.alert).toBe(true);
  });

  it('endless data: the download stops at the signed length, a verification failure that alerts at once', async () => {
    const kit = await stagedKit();
    const t = publishSynthetic(kit, { version: '0.1.2', counter: 2 });
    let sent = 0;
    let closed = false;
    kit.server.override(`/targets/${t.sha256}.${t.name}`, (_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = (): void => {
        while (!closed && sent < 1024 ** 3) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.on('close', () => (closed = true));
      pump();
    });
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_VERIFY', /bundle raypher-bundle-0\.1\.2.* failed TUF verification: .* sent more than its signed length of \d+ bytes/);
    expect(state(kit).last_check?.alert).toBe(true);
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('metadata signed by an unknown key', async () => {
    const kit = await stagedKit();
    publishSynthetic(kit, { version: '0.1.2', counter: 2 });
    const { snapshot } = readRepo(kit.repoDir);
    forgeTimestamp(kit.repoDir, { snapshotVersion: snapshot.signed.version, key: foreignKey('timestamp') });
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_VERIFY', /update metadata .* failed TUF verification: .*timestamp.*(signed|threshold)/i);
  });

  it('freeze: an expired timestamp', async () => {
    const kit = await stagedKit();
    publishSynthetic(kit, { version: '0.1.2', counter: 2 });
    refreshRepo(kit.repoDir, kit.keys, kit.keysDir, new Date(Date.now() - 8 * 86_400_000));
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_VERIFY', /failed TUF verification: .*timestamp.*expired/i);
  });

  it('rollback: an older timestamp than the one already seen', async () => {
    const kit = await stagedKit();
    const old = metadataBytes(kit.repoDir, 'timestamp.json');
    publishSynthetic(kit, { version: '0.1.2', counter: 2 });
    refreshRepo(kit.repoDir, kit.keys, kit.keysDir, new Date());
    await checkForUpdate(checkContext(kit)); // the client sees timestamp v4 and stages 0.1.2
    kit.server.override('/metadata/timestamp.json', (_req, res) => res.end(old));
    const before = floors(kit);
    const r = await refusal(checkForUpdate(checkContext(kit)));
    expect(r).toMatchObject({ code: 'ERR_UPDATE_VERIFY' });
    expect(r.message).toMatch(/New timestamp version 2 is less than current version 4/);
    expect(floors(kit)).toEqual(before);
  });

  it('rollback: a timestamp naming an older snapshot version than already seen', async () => {
    const kit = await stagedKit();
    forgeTimestamp(kit.repoDir, { snapshotVersion: 1, key: requireKey(kit.keys, 'timestamp', kit.keysDir) });
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_VERIFY', /New snapshot version 1 is less than current version 2/);
  });

  it('rollback: a snapshot naming an older targets version than already seen', async () => {
    const kit = await stagedKit();
    const { snapshot } = readRepo(kit.repoDir);
    const v = snapshot.signed.version + 1;
    forgeSnapshot(kit.repoDir, { version: v, targetsVersion: 1, key: requireKey(kit.keys, 'snapshot', kit.keysDir) });
    forgeTimestamp(kit.repoDir, { snapshotVersion: v, key: requireKey(kit.keys, 'timestamp', kit.keysDir) });
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_VERIFY', /New version 1 of targets\.json is less than current version 2/);
  });

  it('mix-and-match: the timestamp points to a snapshot from another release', async () => {
    const kit = await stagedKit();
    publishSynthetic(kit, { version: '0.1.2', counter: 2 });
    const { snapshot } = readRepo(kit.repoDir);
    // A properly signed snapshot with the same version number, but from another state of the repository (targets v2).
    const other = forgeSnapshot(kit.repoDir, { version: snapshot.signed.version, targetsVersion: 2, key: requireKey(kit.keys, 'snapshot', kit.keysDir), write: false });
    kit.server.override(`/metadata/${snapshot.signed.version}.snapshot.json`, (_req, res) => res.end(other));
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_VERIFY', /failed TUF verification: .*(hash|length)/i);
  });

  it('a release_counter at the floor with other contents is refused', async () => {
    const kit = await stagedKit();
    const path = syntheticBundle(kit.dir, { version: '0.1.9', counter: 1, files: 3 });
    addTarget(kit.repoDir, path, 'raypher-bundle-0.1.9-rogue.tgz', rogueCustom('0.1.9', 1), kit.keys, kit.keysDir, new Date());
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_VERIFY', /reuses the release_counter floor 1 with different contents/);
  });

  it('a repository whose newest release is below the floor is refused', async () => {
    const kit = await stagedKit();
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_VERIFY', /release_counter 1\), below the release_counter floor 5: the repository was rolled back/, { installedCounter: 5 });
  });

  it('a release for another protocol version is not staged, not refused: it waits for a newer supervisor', async () => {
    const kit = await stagedKit();
    const before = floors(kit);
    publishSynthetic(kit, { version: '0.2.0', counter: 2, protocol: PROTOCOL_VERSION + 1 });
    const out = await checkForUpdate(checkContext(kit));
    expect(out).toMatchObject({ result: 'up_to_date', staged: { version: '0.1.1' }, newest: { version: '0.1.1', release_counter: 1 }, needsSupervisor: { version: '0.2.0', release_counter: 2, protocol: PROTOCOL_VERSION + 1 } });
    const s = state(kit);
    expect(s).toMatchObject({ phase: 'staged', consecutive_failures: 0, needs_supervisor: { release_counter: 2 }, last_check: { result: 'up_to_date', error_code: null, alert: false } });
    expect(s.last_check?.detail).toContain(`a newer release needs a newer supervisor: raypher-bundle-0.2.0-${currentPlatform()}.tgz (version 0.2.0, release_counter 2) speaks IPC protocol ${PROTOCOL_VERSION + 1}, this supervisor speaks ${PROTOCOL_VERSION}; update the Raypher package`);
    // Nothing of 0.2.0 was fetched or staged, and the release floor stayed where it was.
    expect(kit.server.requests.filter((r) => r.includes('raypher-bundle-0.2.0'))).toEqual([]);
    expect(floors(kit)).toMatchObject({ releaseCounter: before.releaseCounter, staged: '0.1.1', bundleDirs: before.bundleDirs });
    // A supervisor that speaks the new protocol stages it.
    expect(await checkForUpdate(checkContext(kit, { protocols: [PROTOCOL_VERSION, PROTOCOL_VERSION + 1] }))).toMatchObject({ result: 'staged', staged: { version: '0.2.0' }, needsSupervisor: null });
    expect(state(kit).needs_supervisor).toBeNull();
  });

  it('a bundle whose bundle.json names another protocol than its signed metadata is refused (alert)', async () => {
    const kit = await stagedKit();
    const path = syntheticBundle(kit.dir, { version: '0.1.2', counter: 2, protocol: PROTOCOL_VERSION + 1 });
    addTarget(kit.repoDir, path, 'raypher-bundle-0.1.2-x.tgz', rogueCustom('0.1.2', 2), kit.keys, kit.keysDir, new Date());
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_ARCHIVE', new RegExp(`bundle\\.json says protocol ${PROTOCOL_VERSION + 1} but the signed metadata says ${PROTOCOL_VERSION}`));
    expect(state(kit).last_check?.alert).toBe(true);
  });

  it('a bundle whose bundle.json disagrees with the signed metadata is refused', async () => {
    const kit = await stagedKit();
    const path = syntheticBundle(kit.dir, { version: '0.1.2', counter: 2 });
    addTarget(kit.repoDir, path, 'raypher-bundle-0.1.2-x.tgz', rogueCustom('0.1.2', 3), kit.keys, kit.keysDir, new Date());
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_ARCHIVE', /bundle\.json says release_counter 2 but the signed metadata says 3/);
  });

  it('slow retrieval: a server that stalls after the headers, or never answers, is cut off by the timeouts', async () => {
    const kit = await stagedKit();
    const t = publishSynthetic(kit, { version: '0.1.2', counter: 2 });
    const timeouts = { headersMs: 300, idleMs: 300, totalMs: 5_000 };
    kit.server.override(`/targets/${t.sha256}.${t.name}`, (_req, res) => res.writeHead(200, { 'content-length': 100_000 }).write('x'));
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_FETCH', /stalled for 300 ms/, { timeouts });
    kit.server.override('/metadata/timestamp.json', () => undefined);
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_FETCH', /no response headers from .*timestamp\.json within 300 ms/, { timeouts });
  });

  it('a redirect to another server is not followed', async () => {
    const kit = await stagedKit();
    publishSynthetic(kit, { version: '0.1.2', counter: 2 });
    kit.server.override('/metadata/timestamp.json', (_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:9/timestamp.json' }).end());
    await expectRefusedUnchanged(kit, 'ERR_UPDATE_FETCH', /timestamp\.json.*redirect/i);
  });
});
