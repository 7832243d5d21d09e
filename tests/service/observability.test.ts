// /health and /metrics on loopback (promtool-checked), raypherctl health and logs, the audit chain end to end.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Db } from '@raypher/shared/db';
import { PROTOCOL_VERSION } from '@raypher/shared/ipc';
import { spawn } from 'node:child_process';
import { CTL_BIN, ctl, Daemon, killAll, makeHome, run, waitFor } from '../helpers/daemon.js';

afterEach(killAll);

const PROM_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('health, metrics, logs, audit', () => {
  it('/metrics passes promtool and carries the worker series; /health turns 503 when a worker is down', async () => {
    const home = makeHome();
    const d = await Daemon.start(home);
    const { healthAddress } = await d.status();
    expect(healthAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const base = `http://${healthAddress}`;

    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const series of ['raypher_build_info{', 'raypher_worker_up{worker="vault"} 1', 'raypher_worker_restarts_total{worker="proxy"} 0', 'raypher_worker_heartbeat_age_seconds{worker="scanner"}', 'raypher_worker_cpu_percent{worker="updater"}', 'raypher_worker_resident_memory_bytes{worker="vault"}', 'raypher_scanner_scan_cycles_total', 'raypher_vault_heartbeat_lag_seconds', 'raypher_proxy_open_connections', 'raypher_proxy_identification_seconds_bucket']) {
      expect(metrics).toContain(series);
    }
    const file = join(home, 'metrics.txt');
    writeFileSync(file, metrics);
    const promtool = await run('promtool', ['check', 'metrics'], {}, metrics);
    expect({ code: promtool.code, out: promtool.stdout + promtool.stderr }).toEqual({ code: 0, out: '' });

    let health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'healthy', version: '0.1.0', workers: { vault: { state: 'running' } }, proxy: { requests_served: 0 }, watchtower: expect.any(Object), database: { total_events: expect.any(Number) } });
    expect(body.uptime_secs).toEqual(expect.any(Number));
    // Computed once by the vault (TPM endorsement key, else /etc/machine-id): null only until it is ready.
    expect(body.silicon_id === null || /^(tpm|machine-id):[0-9a-f]{64}$/.test(String(body.silicon_id))).toBe(true);

    const scraped = await fetch(`${base}/health`, { headers: { accept: PROM_ACCEPT } });
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await scraped.text()).toContain('raypher_worker_up{worker="vault"} 1');

    expect((await ctl(home, ['stop', 'proxy'])).code).toBe(0);
    health = await fetch(`${base}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'degraded', workers: { proxy: { state: 'stopped' } } });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('raypher_worker_up{worker="proxy"} 0');
    const h = await ctl(home, ['health']);
    expect(h.code).toBe(1);
    expect(await (await fetch(`${base}/nope`)).status).toBe(404);
    await d.stop();
  });

  it('raypherctl logs shows a process log and follows new lines', async () => {
    const home = makeHome();
    const d = await Daemon.start(home);
    const r = await ctl(home, ['logs', 'supervisor', '-n', '3']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(JSON.parse(l)).toHaveProperty('process', 'supervisor');
    const vault = await ctl(home, ['logs', 'vault']);
    expect(vault.stdout).toContain('worker ready');

    const follower = spawn(process.execPath, [CTL_BIN, '--home', home, 'logs', 'supervisor', '-f', '-n', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    follower.stdout.on('data', (chunk: Buffer) => (followed += chunk.toString()));
    await waitFor(async () => followed.length > 0, 5000, 'first followed line');
    expect((await ctl(home, ['restart', 'updater'])).code).toBe(0);
    await waitFor(async () => /"event":"worker\.started".*"worker":"updater"/.test(followed), 5000, 'followed restart lines');
    follower.kill();
    await d.stop();
  });

  it('audit verify passes on a real run and names a tampered row', async () => {
    const home = makeHome();
    const d = await Daemon.start(home);
    await d.stop();
    const ok = await ctl(home, ['audit', 'verify', '--json']);
    expect(ok.code).toBe(0);
    const result = JSON.parse(ok.stdout) as { ok: boolean; rows: number };
    expect(result.ok).toBe(true);
    expect(result.rows).toBeGreaterThanOrEqual(10);

    const db = await Db.open(join(home, 'data', 'raypher.db'));
    await db.exec('DROP TRIGGER events_no_update');
    const change = await db.run(`UPDATE events SET body = replace(body, '"actor":"supervisor"', '"actor":"intruder"') WHERE seq = 4`);
    expect(change.changes).toBe(1);
    await db.close();
    const bad = await ctl(home, ['audit', 'verify']);
    expect(bad.code).toBe(1);
    expect(bad.stdout.split('\n')[0]).toBe('audit ledger BROKEN (ERR_AUDIT_BROKEN) at row 4: hash does not match the stored body (row was altered)');
  });

  it('version reports both ends', async () => {
    const home = makeHome();
    expect(JSON.parse((await ctl(home, ['version', '--json'])).stdout)).toEqual({ cli: '0.1.0', daemon: null, protocol: PROTOCOL_VERSION });
    const d = await Daemon.start(home);
    expect(JSON.parse((await ctl(home, ['version', '--json'])).stdout)).toMatchObject({ daemon: '0.1.0' });
    await waitFor(async () => true, 10, 'noop');
    await d.stop();
  });
});
