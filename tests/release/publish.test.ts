// The release tool's own refusals: a release is never replaced, a counter never reused, a damaged or unbuilt bundle never published.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { publishCommand } from '../../ops/release/src/commands/publish.js';
import { refreshCommand } from '../../ops/release/src/commands/repo.js';
import { readRepo } from '../../ops/release/src/metadata-files.js';
import { releaseCli } from './helpers/cli.js';
import { disposeKits, makeKit, syntheticBundle } from './helpers/release-kit.js';

afterEach(disposeKits);

describe('raypher-release publish and refresh', () => {
  it('refuses to republish a name or reuse a release_counter', async () => {
    const kit = await makeKit();
    const first = syntheticBundle(mkdtempSync(join(kit.dir, 'a-')), { version: '0.1.1', counter: 1 });
    publishCommand(kit.repoDir, kit.keysDir, first, 'stable', new Date());
    expect(() => publishCommand(kit.repoDir, kit.keysDir, first, 'stable', new Date())).toThrow(/is already published .* a release is never replaced/);
    const reuse = syntheticBundle(mkdtempSync(join(kit.dir, 'b-')), { version: '0.1.2', counter: 1 });
    expect(() => publishCommand(kit.repoDir, kit.keysDir, reuse, 'stable', new Date())).toThrow(/release_counter 1 is already used by raypher-bundle-0\.1\.1/);
    expect(readRepo(kit.repoDir).targets.signed.version).toBe(2);
  });

  it('refuses a bundle whose files do not match its bundle.json', async () => {
    const kit = await makeKit();
    const path = syntheticBundle(kit.dir, { version: '0.1.1', counter: 1 });
    const tar = gunzipSync(readFileSync(path));
    const at = tar.indexOf(Buffer.from('// vault 0.1.1'));
    tar.write('// evil 0.1.1', at);
    writeFileSync(path, gzipSync(tar));
    expect(() => publishCommand(kit.repoDir, kit.keysDir, path, 'stable', new Date())).toThrow(/vault\/dist\/main\.js does not match its sha256 in bundle\.json; rebuild the bundle/);
  });

  it('refresh bumps only snapshot and timestamp', async () => {
    const kit = await makeKit();
    const before = readRepo(kit.repoDir);
    const r = refreshCommand(kit.repoDir, kit.keysDir, new Date());
    expect(r.versions).toEqual({ root: 1, targets: before.targets.signed.version, snapshot: before.snapshot.signed.version + 1, timestamp: before.timestamp.signed.version + 1 });
  });

  it('bundle refuses a checkout that was not built', async () => {
    const kit = await makeKit();
    const checkout = join(kit.dir, 'checkout');
    mkdirSync(join(checkout, 'workers', 'vault'), { recursive: true });
    writeFileSync(join(checkout, 'package.json'), '{"version":"0.1.0"}');
    const r = await releaseCli(['bundle', '--out', join(kit.dir, 'out'), '--checkout', checkout, '--release-counter', '1'], { SOURCE_DATE_EPOCH: '1700000000' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERR_RELEASE_BUNDLE: .*vault\/dist\/main\.js is missing; run 'npm run build' before raypher-release bundle/);
  });
});
