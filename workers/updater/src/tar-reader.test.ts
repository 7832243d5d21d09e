// The bundle tar reader refuses every entry that could write outside the staging directory or exhaust the disk.
import { gzipSync } from 'node:zlib';
import { paxData, rawTgz, rawHeader } from '../../../tests/release/helpers/raw-tar.js';
import { readBundleArchive, safeRelativePath, UnsafeArchiveError } from './tar-reader.js';

const LIMITS = { maxBytes: 1024 * 1024, maxEntries: 100 };
const read = (gz: Buffer, limits = LIMITS) => () => readBundleArchive(gz, limits);

describe('readBundleArchive', () => {
  it('reads files and directories with their paths and executable bits', () => {
    const entries = readBundleArchive(rawTgz([{ name: 'bundle.json', data: '{}' }, { name: 'vault/', type: '5' }, { name: 'vault/dist/main.js', data: 'x' }]), LIMITS);
    expect(entries.map((e) => [e.path, e.type, e.data.toString()])).toEqual([['bundle.json', 'file', '{}'], ['vault', 'dir', ''], ['vault/dist/main.js', 'file', 'x']]);
  });

  it.each([
    ['../evil.js', /climbs out/],
    ['vault/../../evil.js', /climbs out/],
    ['/etc/cron.d/evil', /absolute/],
    ['C:/Windows/evil', /absolute/],
    ['vault\\..\\evil', /backslash/],
    ['./vault/main.js', /not a normalised path/],
    ['vault//main.js', /not a normalised path/],
  ])('refuses the path %s', (name, message) => {
    expect(read(rawTgz([{ name, data: 'x' }]))).toThrow(message);
  });

  it('refuses a .. hidden in a pax path or a ustar prefix', () => {
    expect(read(rawTgz([{ name: 'PaxHeader', type: 'x', data: paxData({ path: 'a/../../../evil' }) }, { name: 'harmless.js', data: 'x' }]))).toThrow(/climbs out/);
    expect(read(rawTgz([{ name: 'evil.js', prefix: '..', data: 'x' }]))).toThrow(/climbs out/);
  });

  it.each([
    ['2', 'a symbolic link', '/etc/passwd'],
    ['2', 'a symbolic link', '../../outside'],
    ['1', 'a hard link', '/etc/shadow'],
    ['3', 'a character device', ''],
    ['4', 'a block device', ''],
    ['6', 'a FIFO', ''],
  ])('refuses tar type %s (%s → %s)', (type, what, linkname) => {
    expect(read(rawTgz([{ name: 'node_modules/x', type, linkname }]))).toThrow(new RegExp(`is ${what}.*bundles hold only files and directories`));
  });

  it('refuses a link target smuggled in a pax header', () => {
    expect(read(rawTgz([{ name: 'PaxHeader', type: 'x', data: paxData({ linkpath: '/etc/passwd' }) }, { name: 'x', data: 'y' }]))).toThrow(/links are not allowed/);
  });

  it('stops decompressing at the size cap (a zip bomb)', () => {
    const bomb = rawTgz([{ name: 'big', data: Buffer.alloc(8 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(read(bomb)).toThrow(/expands beyond the 1048576-byte cap/);
  });

  it('refuses too many entries, duplicates, bad checksums, truncation and non-gzip data', () => {
    expect(read(rawTgz(Array.from({ length: 101 }, (_, i) => ({ name: `f${i}`, data: 'x' }))))).toThrow(/more than 100 entries/);
    expect(read(rawTgz([{ name: 'a', data: '1' }, { name: 'a', data: '2' }]))).toThrow(/appears twice/);
    const header = rawHeader({ name: 'a' }, 1);
    header[0] = 'b'.charCodeAt(0);
    expect(read(gzipSync(Buffer.concat([header, Buffer.alloc(1536)])))).toThrow(/bad checksum/);
    expect(read(gzipSync(Buffer.concat([rawHeader({ name: 'a' }, 4096), Buffer.alloc(512)])))).toThrow(/truncated/);
    expect(read(Buffer.from('not gzip'))).toThrow(UnsafeArchiveError);
  });
});

describe('safeRelativePath', () => {
  it('keeps ordinary relative paths and drops a directory slash', () => {
    expect(safeRelativePath('node_modules/@raypher/shared/dist/')).toBe('node_modules/@raypher/shared/dist');
  });
});
