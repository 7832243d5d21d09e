// The Linux package end to end: build it with raypher-release, install it with install.sh --user --prefix,
// run the installed raypher on its embedded Node with no Node on the PATH, verify, corrupt, upgrade, uninstall.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusResult } from '@raypher/shared/ipc';
import { type CtlResult, REPO, run, waitFor } from '../helpers/daemon.js';
import { releaseJson } from '../release/helpers/cli.js';

/** What install.sh, the wrappers and the daemon call; node is deliberately not among them. */
const TOOLS = ['sh', 'bash', 'dirname', 'readlink', 'cat', 'sed', 'sha256sum', 'stat', 'find', 'wc', 'cmp', 'mkdir', 'rm', 'rmdir', 'ln', 'mv', 'cp', 'chmod', 'chgrp', 'date', 'id', 'tr', 'getent', 'getconf', 'uname'];
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const work = mkdtempSync(join(tmpdir(), 'raypher-install-'));
const prefix = join(work, 'prefix');
const home = join(prefix, '.raypher');
const lib = join(prefix, '.local', 'lib', 'raypher');
const bin = join(prefix, '.local', 'bin');
const tools = join(work, 'tools');
const env = { PATH: tools, HOME: join(work, 'home'), LANG: 'C' };
const USER_CONFIG = '[health]\nlisten_port = 0\n\n[proxy]\nlisten_port = 0\n\n[supervisor]\nkill_timeout_ms = 2000\ndrain_timeout_ms = 1000\n';

let daemon: ChildProcess | undefined;
const packages: Record<string, string> = {};

function makeTools(): void {
  mkdirSync(tools);
  for (const t of TOOLS) {
    const found = SYSTEM_DIRS.map((d) => join(d, t)).find((p) => existsSync(p));
    if (found === undefined) throw new Error(`${t} is not installed; the install test needs it`);
    symlinkSync(found, join(tools, t));
  }
}

/** Unpacks a package with the system tar (what a user does) and returns its install.sh. */
async function unpack(tarball: string, into: string): Promise<string> {
  mkdirSync(into, { recursive: true });
  const r = await run('tar', ['-xzf', tarball, '-C', into]);
  if (r.code !== 0) throw new Error(`tar failed: ${r.stderr}`);
  const [top] = readdirSync(into);
  return join(into, top ?? '', 'install.sh');
}

function installer(script: string, args: string[], input?: string): Promise<CtlResult> {
  return run(script, ['--user', '--prefix', prefix, ...args], { env }, input);
}

function ctl(args: string[]): Promise<CtlResult> {
  return run(join(bin, 'raypherctl'), ['--home', home, ...args], { env });
}

async function startInstalled(): Promise<{ status: StatusResult; pid: number }> {
  const proc = spawn(join(bin, 'raypher'), ['run', '--home', home], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  daemon = proc;
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`supervisor exited with ${proc.exitCode}: ${stderr}`);
    const r = await ctl(['status', '--json']);
    if (r.code !== 0) return undefined;
    const s = JSON.parse(r.stdout) as StatusResult;
    return s.workers.every((w) => w.state === 'running') ? s : undefined;
  }, 30_000, 'the installed supervisor with all workers running');
  return { status, pid: proc.pid as number };
}

async function stopInstalled(): Promise<void> {
  const proc = daemon;
  daemon = undefined;
  if (proc === undefined || proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

/** Every path under dir, relative, sorted. */
function tree(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    return e.isDirectory() ? [`${r}/`, ...tree(dir, r)] : [r];
  }).sort();
}

beforeAll(async () => {
  makeTools();
  mkdirSync(env.HOME);
  // Two versions of the same checkout, built as separate processes at once: the second is the upgrade.
  const [older, newer] = await Promise.all([
    releaseJson(['package', '--out', join(work, 'out-old'), '--version', '0.1.0', '--release-counter', '1']),
    releaseJson(['package', '--out', join(work, 'out-new'), '--version', '0.1.1', '--release-counter', '2']),
  ]);
  packages.old = String(older.path);
  packages.new = String(newer.path);
}, 600_000);

afterAll(async () => {
  await stopInstalled();
  rmSync(work, { recursive: true, force: true });
});

describe('the Linux package', () => {
  let oldScript = '';
  let newScript = '';

  it('holds the embedded Node, the supervisor, raypherctl, the worker bundle as workers/ and a manifest of every file', async () => {
    oldScript = await unpack(packages.old ?? '', join(work, 'unpacked-old'));
    newScript = await unpack(packages.new ?? '', join(work, 'unpacked-new'));
    expect(oldScript).toMatch(/raypher-0\.1\.0-linux-(x64|arm64)\/install\.sh$/);
    const root = join(oldScript, '..');
    const files = tree(root);
    for (const f of ['node/bin/node', 'bin/raypher', 'bin/raypherctl', 'supervisor/bin/raypher.js', 'cli/bin/raypherctl.js', 'workers/bundle.json', 'workers/proxy/dist/main.js', 'share/systemd/raypher.service', 'share/systemd/raypher.socket', 'VERSION', 'MANIFEST.sha256']) {
      expect(files).toContain(f);
    }
    expect(files.filter((p) => /^node_modules\/(jest|typescript|ts-jest|eslint)\//.test(p))).toEqual([]);
    const manifest = readFileSync(join(root, 'MANIFEST.sha256'), 'utf8').trim().split('\n').map((l) => l.slice(66));
    expect(manifest.sort()).toEqual(files.filter((f) => !f.endsWith('/') && f !== 'MANIFEST.sha256'));
    expect(JSON.parse(readFileSync(join(root, 'workers', 'bundle.json'), 'utf8'))).toMatchObject({ version: '0.1.0', release_counter: 1 });
  });

  it('installs with --user --prefix --no-start and no Node on the PATH, keeping an existing config and putting the new default beside it', async () => {
    expect(await run('sh', ['-c', 'command -v node || echo none'], { env })).toMatchObject({ stdout: 'none\n' });
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'config.toml'), USER_CONFIG);
    const r = await installer(oldScript, ['--no-start']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/installed Raypher 0\.1\.0 \(user mode\)/);
    expect(readlinkSync(join(lib, 'current'))).toBe('0.1.0');
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toBe(USER_CONFIG);
    expect(readFileSync(join(home, 'config.toml.new'), 'utf8')).toMatch(/^\[service\]/m);
    expect(readFileSync(join(prefix, '.config', 'systemd', 'user', 'raypher.service'), 'utf8')).toContain(`ExecStart=${lib}/current/bin/raypher run --home ${home}`);
    // Re-running is harmless, and a leftover from an interrupted copy is cleaned up.
    mkdirSync(join(lib, '0.1.0.partial', 'junk'), { recursive: true });
    expect(await installer(oldScript, ['--no-start'])).toMatchObject({ code: 0 });
    expect(existsSync(join(lib, '0.1.0.partial'))).toBe(false);
  });

  it('runs the installed raypher on its own Node: raypherctl status and /health answer', async () => {
    const { status, pid } = await startInstalled();
    expect(status.daemon.version).toBe('0.1.0');
    expect(readlinkSync(`/proc/${pid}/exe`)).toBe(join(lib, '0.1.0', 'node', 'bin', 'node'));
    const addr = status.healthAddress;
    expect(addr).toMatch(/^127\.0\.0\.1:\d+$/);
    const health = await fetch(`http://${addr ?? ''}/health`);
    expect(health.status).toBe(200);
  });

  it('--verify reports a sound installation, then names a corrupted file and exits 1', async () => {
    const good = await installer(join(lib, 'current', 'install.sh'), ['--verify']);
    expect(good.stdout).toMatch(/verify: Raypher 0\.1\.0 is sound/);
    expect(good.stdout).toMatch(/ok {4}the service answers http:\/\/127\.0\.0\.1:\d+\/health/);
    expect(good.code).toBe(0);
    appendFileSync(join(lib, '0.1.0', 'workers', 'proxy', 'dist', 'main.js'), '\n// tampered\n');
    const bad = await installer(join(lib, 'current', 'install.sh'), ['--verify']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`FAIL  file ${join(lib, '0.1.0')}/workers/proxy/dist/main.js: FAILED`);
    expect(bad.stdout).toMatch(/verify: 1 problem/);
    await stopInstalled();
    const stopped = await installer(join(lib, 'current', 'install.sh'), ['--verify']);
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toMatch(/FAIL {2}the service does not answer raypherctl status/);
  });

  it('upgrades over the older version: current moves, the previous version stays for rollback, the config is untouched', async () => {
    const r = await installer(newScript, ['--no-start']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/installed Raypher 0\.1\.1 \(user mode\).*upgraded from 0\.1\.0/);
    expect(readlinkSync(join(lib, 'current'))).toBe('0.1.1');
    expect(readdirSync(lib).sort()).toEqual(['0.1.0', '0.1.1', 'current']);
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toBe(USER_CONFIG);
    const { status } = await startInstalled();
    expect(status.daemon.version).toBe('0.1.1');
    const v = await installer(join(lib, 'current', 'install.sh'), ['--verify']);
    expect(v).toMatchObject({ code: 0 });
    await stopInstalled();
  });

  it('--uninstall refuses without a terminal or --yes, then removes everything but the config and data', async () => {
    const script = join(work, 'unpacked-new', 'raypher-0.1.1-linux-' + (oldScript.match(/linux-(\w+)\//)?.[1] ?? 'x64'), 'install.sh');
    const refused = await installer(script, ['--uninstall'], 'y\nremove\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/pass --yes/);
    expect(existsSync(join(lib, 'current'))).toBe(true);
    const r = await installer(script, ['--uninstall', '--yes']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/kept: .*\.raypher/);
    // Nothing of Raypher is left outside the kept home: no program files, links or units.
    expect(tree(prefix).filter((p) => !p.startsWith('.raypher/'))).toEqual([]);
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toBe(USER_CONFIG);
    expect(existsSync(join(home, 'data', 'raypher.db'))).toBe(true);
    const purged = await installer(script, ['--uninstall', '--yes', '--purge']);
    expect(purged).toMatchObject({ code: 0 });
    expect(tree(prefix)).toEqual([]);
  });

  it('ops/release/scripts/install-check.sh (the release workflow\'s step) installs, runs, verifies and purges the package', async () => {
    const r = await run(join(REPO, 'ops', 'release', 'scripts', 'install-check.sh'), [packages.old ?? '']);
    expect(r.stdout).toMatch(/install-check: raypher-0\.1\.0-linux-\w+\.tar\.gz installs, runs, verifies and uninstalls/);
    expect(r.code).toBe(0);
  });
});
