// The worker bundle: two builds of the same commit are byte-identical, and the archive holds what workers need and nothing else.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@raypher/shared/ipc';
import { readBundleArchive } from '../../workers/updater/src/tar-reader.js';
import { parseBundleManifest } from '../../workers/updater/src/release-format.js';
import { releaseJson } from './helpers/cli.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'raypher-bundle-'));
  dirs.push(d);
  return d;
}

describe('raypher-release bundle', () => {
  let first: Record<string, unknown>;
  let second: Record<string, unknown>;

  beforeAll(async () => {
    // Two separate processes at different wall-clock times: only the commit may influence the bytes.
    first = await releaseJson(['bundle', '--out', tmp(), '--version', '0.1.1', '--release-counter', '7']);
    await new Promise((r) => setTimeout(r, 1100));
    second = await releaseJson(['bundle', '--out', tmp(), '--version', '0.1.1', '--release-counter', '7']);
  }, 120_000);

  it('builds byte-identical archives from the same commit and prints path, size and sha256', () => {
    const a = readFileSync(String(first.path));
    const b = readFileSync(String(second.path));
    expect(a.equals(b)).toBe(true);
    expect(first.sha256).toBe(createHash('sha256').update(a).digest('hex'));
    expect(first.size).toBe(a.length);
    expect(String(first.path)).toMatch(/raypher-bundle-0\.1\.1-[a-z0-9]+-[a-z0-9]+\.tgz$/);
    // gzip header: mtime 0.
    expect(a.readUInt32LE(4)).toBe(0);
  });

  it('has bundle.json first and the workers, shared and production dependencies, without sources, tests or dev dependencies', () => {
    const entries = readBundleArchive(readFileSync(String(first.path)), { maxBytes: 1024 ** 3, maxEntries: 200_000 });
    expect(entries[0]?.path).toBe('bundle.json');
    const m = parseBundleManifest(JSON.parse(entries[0]?.data.toString('utf8') ?? ''), (w) => {
      throw new Error(w);
    });
    expect(m).toMatchObject({ version: '0.1.1', release_counter: 7, protocol: PROTOCOL_VERSION, node: { major: Number(process.versions.node.split('.')[0]), abi: process.versions.modules } });
    const paths = entries.map((e) => e.path);
    for (const w of ['vault', 'proxy', 'scanner', 'updater']) expect(paths).toContain(`${w}/dist/main.js`);
    expect(paths).toContain('node_modules/@raypher/shared/dist/worker/index.js');
    expect(paths).toContain('node_modules/tuf-js/package.json');
    expect(paths).toContain('node_modules/sqlite3/build/Release/node_sqlite3.node');
    expect(paths.filter((p) => /\.ts$|\.test\.js$|\.map$|tsbuildinfo/.test(p))).toEqual([]);
    expect(paths.filter((p) => /^node_modules\/(jest|typescript|ts-jest|@types\/jest|@anthropic-ai|openai)\//.test(p))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('supervisor/') || p.startsWith('cli/') || p.includes('/sqlite3/deps/'))).toEqual([]);
    expect(Object.keys(m.files).sort()).toEqual(paths.slice(1).sort());
    // Sorted entries, owner 0, fixed mtime: the tar headers themselves carry no build-machine facts.
    expect(paths.slice(1)).toEqual([...paths.slice(1)].sort());
  });

  it('takes built_at from the commit (or SOURCE_DATE_EPOCH), not the clock', async () => {
    const stamped = await releaseJson(['bundle', '--out', tmp(), '--version', '0.1.1', '--release-counter', '7'], { SOURCE_DATE_EPOCH: '1700000000' });
    expect((stamped.manifest as { built_at: string }).built_at).toBe('2023-11-14T22:13:20Z');
    expect(stamped.sha256).not.toBe(first.sha256);
  }, 60_000);
});
