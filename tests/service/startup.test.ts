// Start-up refusals: bad config, a second supervisor on one home, insecure directories; config check and reload.
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditEvents, ctl, Daemon, killAll, makeHome, renderToml, TEST_CONFIG, mergeConfig, waitFor } from '../helpers/daemon.js';

afterEach(killAll);

describe('start-up and config', () => {
  it.each([
    ['[supervisor]\nheartbeat_timeout_ms = "soon"\n', /ERR_CONFIG_INVALID: .*supervisor\.heartbeat_timeout_ms = "soon" is not allowed; expected an integer/],
    ['[supervisor]\nheartbeat_timout_ms = 10\n', /ERR_CONFIG_UNKNOWN_KEY: .*unknown key supervisor\.heartbeat_timout_ms/],
    ['[health]\nlisten_addr = "0.0.0.0"\n', /ERR_CONFIG_INVALID: .*not a loopback address/],
    ['not = [toml\n', /ERR_CONFIG_PARSE: .*config\.toml:1:/],
  ])('refuses invalid config %j with a clear error and exit 1', async (text, message) => {
    const home = mkdtempSync(join(tmpdir(), 'raypher-test-'));
    writeFileSync(join(home, 'config.toml'), text);
    const d = Daemon.spawn(home);
    const exit = await d.exited;
    expect(exit.code).toBe(1);
    expect(d.stderr).toMatch(message);
    const check = await ctl(home, ['config', 'check']);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(message);
  });

  it('refuses a second supervisor on the same home, naming the pid that holds it', async () => {
    const home = makeHome();
    const first = await Daemon.start(home);
    const second = Daemon.spawn(home);
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    expect(second.stderr).toContain(`ERR_HOME_LOCKED: another supervisor (pid ${first.pid})`);
    expect((await first.status()).daemon.state).toBe('running');
    await first.stop();
    // Once the first is gone the lock is free again (flock dies with its process).
    const third = await Daemon.start(home);
    await third.stop();
  });

  it('exits 1 naming the cause when the health port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const home = makeHome({ health: { listen_port: port } });
      const d = Daemon.spawn(home);
      expect((await d.exited).code).toBe(1);
      expect(d.stderr).toContain(`ERR_HEALTH_BIND: cannot serve /health on 127.0.0.1:${port}: EADDRINUSE`);
    } finally {
      blocker.close();
    }
  });

  it('refuses a home whose data dir is a symlink, naming the path and the fix', async () => {
    const home = makeHome();
    const elsewhere = mkdtempSync(join(tmpdir(), 'raypher-elsewhere-'));
    symlinkSync(elsewhere, join(home, 'data'));
    const d = Daemon.spawn(home);
    expect((await d.exited).code).toBe(1);
    expect(d.stderr).toContain(`ERR_HOME_INSECURE: cannot secure ${join(home, 'data')}: it is a symbolic link; replace it with a real directory`);
  });

  it('tightens loose directory modes at start', async () => {
    const home = makeHome();
    mkdirSync(join(home, 'logs'), { mode: 0o777 });
    chmodSync(join(home, 'logs'), 0o777);
    chmodSync(home, 0o755);
    const d = await Daemon.start(home);
    const { statSync } = await import('node:fs');
    for (const dir of ['', 'data', 'logs', 'run']) expect(statSync(join(home, dir)).mode & 0o777).toBe(0o700);
    await d.stop();
  });

  it('reload applies live keys, reports restart-only keys, and SIGHUP does the same', async () => {
    const home = makeHome();
    const d = await Daemon.start(home);
    const proxyBefore = (await d.status()).proxyAddress;
    writeFileSync(join(home, 'config.toml'), renderToml(mergeConfig(TEST_CONFIG, { logging: { level: 'debug' }, proxy: { listen_port: 9999 } })));
    const r = await ctl(home, ['reload', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ applied: ['logging.level'], requiresRestart: ['proxy.listen_port'] });
    expect((await d.status()).proxyAddress).toBe(proxyBefore);
    writeFileSync(join(home, 'config.toml'), renderToml(mergeConfig(TEST_CONFIG, { watchtower: { scan_interval_secs: 5 } })));
    d.proc.kill('SIGHUP');
    const reloaded = await waitFor(async () => (await auditEvents(home, 'supervisor.reloaded'))[1], 5000, 'second reload');
    expect(reloaded.data.applied).toEqual(['watchtower.scan_interval_secs', 'logging.level']);
    // An invalid file is refused and the running config stays.
    writeFileSync(join(home, 'config.toml'), '[logging]\nlevel = "shout"\n');
    const bad = await ctl(home, ['reload']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('logging.level = "shout" is not allowed');
    expect((await d.status()).daemon.state).toBe('running');
    await d.stop();
  });

  it('prints the documented example config, which config check accepts', async () => {
    const home = makeHome();
    const example = await ctl(home, ['config', 'example']);
    expect(example.code).toBe(0);
    const file = join(home, 'example.toml');
    writeFileSync(file, example.stdout);
    const check = await ctl(home, ['config', 'check', file, '--json']);
    expect(JSON.parse(check.stdout)).toEqual({ file, ok: true });
  });
});
