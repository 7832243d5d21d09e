import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessFor, resolveGroup } from './authz.js';

describe('control authorization', () => {
  const policy = { serviceUid: 1000, operatorGid: 500 };
  it.each([
    [{ uid: 0, gid: 0, groups: [] }, 'admin'],
    [{ uid: 1000, gid: 1000, groups: [] }, 'admin'],
    [{ uid: 2000, gid: 500, groups: [] }, 'admin'],
    [{ uid: 2000, gid: 2000, groups: [500] }, 'admin'],
    [{ uid: 2000, gid: 2000, groups: [600] }, 'read'],
  ])('%j → %s', (cred, access) => {
    expect(accessFor(cred, policy)).toBe(access);
  });

  it('resolves group names and fails closed on unknown ones', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'raypher-group-')), 'group');
    writeFileSync(file, 'root:x:0:\nraypher-admin:x:995:alice\n');
    expect(resolveGroup('raypher-admin', 'k', file)).toBe(995);
    expect(resolveGroup('42', 'k', file)).toBe(42);
    expect(resolveGroup('', 'k', file)).toBeNull();
    expect(() => resolveGroup('nope', 'service.operator_group', file)).toThrow(/service\.operator_group = "nope": no such group/);
  });
});
