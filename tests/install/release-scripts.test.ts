// The release workflow's steps as scripts: SHA256SUMS, the CycloneDX SBOM, and publishing a bundle with keys
// handed over the way CI secrets are (environment variables), each run as the workflow runs it.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, run } from '../helpers/daemon.js';
import { releaseCli, releaseJson } from '../release/helpers/cli.js';

const scripts = join(REPO, 'ops', 'release', 'scripts');
const dir = mkdtempSync(join(tmpdir(), 'raypher-release-steps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('release step scripts', () => {
  it('checksums.sh writes SHA256SUMS that sha256sum -c accepts, over every asset but itself', async () => {
    const assets = join(dir, 'assets');
    mkdirSync(assets, { recursive: true });
    writeFileSync(join(assets, 'raypher-0.1.0-linux-x64.tar.gz'), 'a');
    writeFileSync(join(assets, 'raypher-0.1.0-x64.msi'), 'b');
    const r = await run(join(scripts, 'checksums.sh'), [assets]);
    expect(r).toMatchObject({ code: 0, stdout: `${join(assets, 'SHA256SUMS')}\n` });
    const sums = readFileSync(join(assets, 'SHA256SUMS'), 'utf8').trim().split('\n').map((l) => l.slice(66));
    expect(sums).toEqual(['raypher-0.1.0-linux-x64.tar.gz', 'raypher-0.1.0-x64.msi']);
    expect(await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: assets })).toMatchObject({ code: 0 });
  });

  it('sbom.sh writes a CycloneDX SBOM of the production dependencies (no test or build tools)', async () => {
    const r = await run(join(scripts, 'sbom.sh'), [join(dir, 'sbom')]);
    expect(r.code).toBe(0);
    const sbom = JSON.parse(readFileSync(r.stdout.trim(), 'utf8')) as { bomFormat: string; components: Array<{ name: string }> };
    expect(sbom.bomFormat).toBe('CycloneDX');
    const names = sbom.components.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['sqlite3', 'koffi', 'yargs']));
    expect(names.filter((n) => ['jest', 'typescript', 'eslint', 'ts-jest'].includes(n))).toEqual([]);
  });

  it('publish.sh signs with keys given as environment variables and leaves no key file behind', async () => {
    const keys = join(dir, 'keys');
    const repo = join(dir, 'repo');
    await releaseJson(['keygen', '--out', keys]);
    await releaseJson(['init', '--repo', repo, '--keys', keys]);
    const bundle = await releaseJson(['bundle', '--out', join(dir, 'bundle'), '--version', '0.1.1', '--release-counter', '3']);
    const secrets = Object.fromEntries(['targets', 'snapshot', 'timestamp'].map((r) => [`RAYPHER_${r.toUpperCase()}_KEY`, readFileSync(join(keys, `${r}.key`), 'utf8')]));
    const scratch = join(dir, 'tmp');
    mkdirSync(scratch, { recursive: true });
    const r = await run(join(scripts, 'publish.sh'), [String(bundle.path), repo, 'stable'], { env: { ...process.env, ...secrets, TMPDIR: scratch } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(join(repo, 'targets')).some((f) => f.endsWith('raypher-bundle-0.1.1-' + `${process.platform}-${process.arch}.tgz`))).toBe(true);
    expect(readdirSync(scratch)).toEqual([]);
    const missing = await run(join(scripts, 'publish.sh'), [String(bundle.path), repo], { env: { PATH: process.env.PATH ?? '' } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/RAYPHER_TARGETS_KEY is not set/);
  });

  it('package refuses another architecture than the machine\'s, and a runtime tarball that does not match its pinned integrity', async () => {
    const other = process.arch === 'arm64' ? 'x64' : 'arm64';
    const arch = await releaseCli(['package', '--out', join(dir, 'pkg'), '--arch', other]);
    expect(arch.code).toBe(1);
    expect(arch.stderr).toMatch(new RegExp(`ERR_RELEASE_PACKAGE: --arch ${other} on a ${process.arch} machine: .*build the ${other} package on a ${other} runner`));
    const cache = join(dir, 'node-cache');
    mkdirSync(cache, { recursive: true });
    const name = `node-linux-${process.arch}-20.20.2.tgz`;
    writeFileSync(join(cache, name), 'not the runtime');
    const bad = await releaseCli(['package', '--out', join(dir, 'pkg'), '--node-cache', cache]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`ERR_RELEASE_PACKAGE: .*${name.replace(/\./g, '\\.')} has integrity sha512-\\S+, not the pinned sha512-`));
    expect(readdirSync(dir)).not.toContain('pkg');
  });
});
