// The Windows MSI (built here with wixl, read back with msiinfo) and the macOS launchd plist and pkg layout.
// Neither can run here: these check what can be checked on Linux, the tables and the files.
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, run } from '../helpers/daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'raypher-msi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function put(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

/** msiinfo export's rows after its three header lines, as arrays of tab-separated fields. */
async function table(msi: string, name: string): Promise<string[][]> {
  const r = await run('msiinfo', ['export', msi, name]);
  if (r.code !== 0) throw new Error(`msiinfo export ${name} failed: ${r.stderr}`);
  return r.stdout.split(/\r?\n/).slice(3).filter((l) => l !== '').map((l) => l.split('\t'));
}

describe('Windows MSI (wixl)', () => {
  const msi = join(dir, 'out', 'raypher-0.1.0-x64.msi');

  beforeAll(async () => {
    // A staged Windows tree with stand-in binaries: node.exe and WinSW come from a Windows runner in the release.
    const stage = join(dir, 'stage');
    put(join(stage, 'node.exe'), 'stand-in');
    put(join(stage, 'raypher-service.exe'), 'stand-in');
    put(join(stage, 'app', 'supervisor', 'bin', 'raypher.js'), "import '../dist/main.js';\n");
    put(join(stage, 'app', 'workers', 'bundle.json'), '{}\n');
    put(join(stage, 'app', 'raypherctl.cmd'), '@"%~dp0..\\node.exe" "%~dp0cli\\bin\\raypherctl.js" %*\n');
    const r = await run(join(REPO, 'ops', 'release', 'scripts', 'msi.sh'), [stage, '0.1.0', msi]);
    if (r.code !== 0) throw new Error(`msi.sh failed (${r.code}): ${r.stderr}`);
  });

  it('registers the raypher service through the WinSW wrapper, as LocalSystem, started automatically', async () => {
    expect(await table(msi, 'ServiceInstall')).toEqual([expect.arrayContaining(['RaypherService', 'raypher', 'Raypher AI Safety Agent', '16', '2', 'LocalSystem', 'Service'])]);
    const [control] = await table(msi, 'ServiceControl');
    expect(control?.slice(0, 2)).toEqual(['RaypherServiceControl', 'raypher']);
    const files = (await table(msi, 'File')).map((f) => f[2]);
    expect(files).toEqual(expect.arrayContaining(['node.exe', 'raypher-service.exe', 'raypher-service.xml', 'raypher.js', 'bundle.json', 'raypherctl.cmd']));
  });

  it('sets recovery actions (sc failure) and the data directory ACL in deferred, elevated custom actions', async () => {
    const actions = Object.fromEntries((await table(msi, 'CustomAction')).map((a) => [a[0], a]));
    expect(actions.ServiceRecovery?.[3]).toBe('failure raypher reset= 86400 actions= restart/1000/restart/5000/restart/30000');
    expect(actions.DataDirAcl?.[3]).toMatch(/\/inheritance:r \/grant:r \*S-1-5-18:\(OI\)\(CI\)F \*S-1-5-32-544:\(OI\)\(CI\)F$/);
    // 50 (exe named by a property) + 1024 (deferred) + 2048 (no impersonation: runs as LocalSystem).
    expect(actions.ServiceRecovery?.[1]).toBe('3122');
    const sequence = (await table(msi, 'InstallExecuteSequence')).map((s) => s[0]);
    expect(sequence).toEqual(expect.arrayContaining(['InstallServices', 'ServiceRecovery', 'DataDirAcl', 'StartServices']));
    const dirs = await table(msi, 'Directory');
    expect(dirs).toEqual(expect.arrayContaining([['DATADIR', 'CommonAppDataFolder', 'Raypher']]));
    const props = Object.fromEntries((await table(msi, 'Property')).map((p) => [p[0], p[1]]));
    expect(props).toMatchObject({ ProductVersion: '0.1.0', ProductName: 'Raypher', UpgradeCode: '{6F2B6C1E-3C1B-4E7A-9C55-2D7F3C0A9B41}' });
  });
});

describe('macOS launchd (not runnable here)', () => {
  it('the plist parses (python3 plistlib) with KeepAlive, RunAtLoad and log paths', async () => {
    const plist = join(REPO, 'installers', 'macos', 'com.raypher.daemon.plist');
    const script = 'import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))';
    const r = await run('python3', ['-c', script, plist]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      Label: 'com.raypher.daemon',
      KeepAlive: true,
      RunAtLoad: true,
      ProgramArguments: ['/usr/local/raypher/current/bin/raypher', 'run', '--home', '/Library/Application Support/Raypher'],
      StandardOutPath: '/Library/Logs/Raypher/raypher.out.log',
      StandardErrorPath: '/Library/Logs/Raypher/raypher.err.log',
    });
  });

  it('pkg-layout.sh lays out the pkg root (pkgbuild itself is macOS-only)', async () => {
    const tree = join(dir, 'darwin-tree');
    put(join(tree, 'bin', 'raypher'), '#!/bin/sh\n');
    const r = await run(join(REPO, 'installers', 'macos', 'pkg-layout.sh'), [tree, '0.1.0', join(dir, 'pkg')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/pkgbuild is not available/);
    const root = join(dir, 'pkg', 'root');
    expect(readlinkSync(join(root, 'usr', 'local', 'raypher', 'current'))).toBe('0.1.0');
    expect(readFileSync(join(root, 'usr', 'local', 'raypher', '0.1.0', 'bin', 'raypher'), 'utf8')).toBe('#!/bin/sh\n');
    expect(readFileSync(join(root, 'Library', 'LaunchDaemons', 'com.raypher.daemon.plist'), 'utf8')).toContain('com.raypher.daemon');
    expect(readFileSync(join(dir, 'pkg', 'scripts', 'postinstall'), 'utf8')).toContain('launchctl bootstrap system');
  });
});
