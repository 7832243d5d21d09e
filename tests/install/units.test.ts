// The systemd units as install.sh renders them: systemd-analyze verify accepts them, the exposure score stays
// within what docs/install.md records, and every capability kept says why.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, run } from '../helpers/daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'raypher-units-'));
const libdir = join(dir, 'opt', 'raypher');
const source = (name: string) => readFileSync(join(REPO, 'installers', 'linux', name), 'utf8');

/** What install.sh does to a unit: @LIBDIR@ and @RAYPHER_HOME@ filled in. */
function render(name: string, as = name): string {
  const path = join(dir, as);
  writeFileSync(path, source(name).replaceAll('@LIBDIR@', libdir).replaceAll('@RAYPHER_HOME@', join(dir, 'home')));
  return path;
}

beforeAll(() => {
  mkdirSync(join(libdir, 'current', 'bin'), { recursive: true });
  writeFileSync(join(libdir, 'current', 'bin', 'raypher'), '#!/bin/sh\n');
  chmodSync(join(libdir, 'current', 'bin', 'raypher'), 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('systemd units', () => {
  it('systemd-analyze verify accepts the system service, its socket and the user service', async () => {
    const system = await run('systemd-analyze', ['verify', '--man=no', render('raypher.service'), render('raypher.socket')], { cwd: dir });
    expect(system).toMatchObject({ code: 0, stderr: '' });
    const user = await run('systemd-analyze', ['verify', '--man=no', render('raypher-user.service', 'raypher-user.service')], { cwd: dir });
    expect(user).toMatchObject({ code: 0, stderr: '' });
  });

  it('has an exposure score of at most 3.0 (systemd-analyze security --offline), as docs/install.md records', async () => {
    const r = await run('systemd-analyze', ['security', '--offline=yes', '--threshold=30', '--no-pager', render('raypher.service')], { cwd: dir });
    expect(r.stdout).toMatch(/Overall exposure level for raypher\.service: 3\.0 OK/);
    expect(r.code).toBe(0);
    expect(readFileSync(join(REPO, 'docs', 'install.md'), 'utf8')).toMatch(/exposure level[^\n]*3\.0/);
  });

  it('is Type=notify with a watchdog, restart limits and socket activation, and names the reason for every capability kept', () => {
    const unit = source('raypher.service');
    for (const line of ['Type=notify', 'WatchdogSec=30', 'Restart=always', 'StartLimitBurst=5', 'Requires=raypher.socket', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes']) {
      expect(unit.split('\n')).toContain(line);
    }
    const kept = /^CapabilityBoundingSet=(.*)$/m.exec(unit)?.[1]?.split(' ') ?? [];
    expect(kept.length).toBeGreaterThan(0);
    for (const cap of kept) expect(unit).toMatch(new RegExp(`^#\\s+${cap}\\s+\\S.*$`, 'm'));
    expect(source('raypher.socket')).toMatch(/^FileDescriptorName=proxy$/m);
  });
});
