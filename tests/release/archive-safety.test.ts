// Signed but unsafe bundles ('..', absolute paths, links out): refused before anything is written, nothing staged.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@raypher/shared/ipc';
import { addTarget } from '../../ops/release/src/repository.js';
import { checkForUpdate } from '../../workers/updater/src/check.js';
import { currentNode, currentPlatform } from '../../workers/updater/src/release-format.js';
import { rawTgz, type RawEntry } from './helpers/raw-tar.js';
import { checkContext, disposeKits, floors, makeKit, refusal, state } from './helpers/release-kit.js';

afterEach(disposeKits);

const custom = { version: '0.1.1', release_counter: 1, protocol: PROTOCOL_VERSION, channel: 'stable', platform: currentPlatform(), node_abi: currentNode().abi };

describe('archive safety through a signed release', () => {
  it.each<[string, RawEntry, RegExp]>([
    ['..', { name: '../../escaped.js', data: 'owned' }, /climbs out with '\.\.'/],
    ['an absolute path', { name: '/tmp/raypher-escaped.js', data: 'owned' }, /is an absolute path/],
    ['a symlink pointing outside', { name: 'vault/dist/main.js', type: '2', linkname: '/etc/passwd' }, /is a symbolic link to "\/etc\/passwd"/],
  ])('refuses %s', async (_what, evil, message) => {
    const kit = await makeKit();
    const file = join(kit.dir, 'evil.tgz');
    writeFileSync(file, rawTgz([{ name: 'bundle.json', data: '{}' }, { name: 'vault/dist/ok.js', data: 'x' }, evil]));
    addTarget(kit.repoDir, file, `raypher-bundle-0.1.1-${currentPlatform()}.tgz`, custom, kit.keys, kit.keysDir, new Date());
    const before = floors(kit);
    const r = await refusal(checkForUpdate(checkContext(kit)));
    expect(r.code).toBe('ERR_UPDATE_ARCHIVE');
    expect(r.message).toMatch(message);
    expect(r.message).toMatch(/nothing was staged/);
    // Only the shipped root was seeded; no version from this check was kept.
    expect(floors(kit)).toEqual({ ...before, metadata: { 'root.json': 1 } });
    expect(state(kit)).toMatchObject({ phase: 'failed', staged: null, last_check: { alert: true } });
    expect(readdirSync(join(kit.dataDir, 'bundles'))).toEqual([]);
    expect(existsSync(join(kit.dataDir, '..', 'escaped.js'))).toBe(false);
    expect(existsSync(join(kit.dataDir, 'escaped.js'))).toBe(false);
    expect(existsSync('/tmp/raypher-escaped.js')).toBe(false);
  });
});
