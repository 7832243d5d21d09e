// Fixture workers that hang, crash on init, or ignore stop requests, under the real supervisor.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Db } from '@raypher/shared/db';
import { auditEvents, Daemon, killAll, makeBundle, makeHome, pidAlive, waitFor } from '../helpers/daemon.js';

afterEach(killAll);

describe('faulty workers', () => {
  it('kills a hung worker (no heartbeat) and restarts it', async () => {
    const bundle = makeBundle({ scanner: 'worker-hang' });
    const home = makeHome({ supervisor: { bundle_dir: bundle, heartbeat_interval_ms: 200, heartbeat_timeout_ms: 1000, max_restarts: 100 } });
    const d = Daemon.spawn(home);
    const hung = await waitFor(async () => (await auditEvents(home, 'worker.hung').catch(() => []))[0], 15_000, 'worker.hung event');
    expect(hung.data).toMatchObject({ worker: 'scanner', reason: 'heartbeat timeout' });
    expect(hung.data.silent_ms).toBeGreaterThanOrEqual(1000);
    await waitFor(async () => ((await d.status()).workers.find((w) => w.name === 'scanner')!.restarts >= 1 ? true : undefined), 10_000, 'scanner restarted');
    expect(pidAlive(hung.data.pid as number)).toBe(false);
    const exited = (await auditEvents(home, 'worker.exited')).find((e) => e.data.pid === hung.data.pid);
    expect(exited?.data.signal).toBe('SIGKILL');
    // The real workers were never disturbed.
    const s = await d.status();
    for (const w of s.workers.filter((x) => x.name !== 'scanner')) expect(w).toMatchObject({ state: 'running', restarts: 0 });
    await d.stop();
  });

  it('marks a crash-looping worker failed while the others keep running, and raises an alert', async () => {
    const bundle = makeBundle({ updater: 'worker-crash-on-init' });
    const home = makeHome({ supervisor: { bundle_dir: bundle, backoff_base_ms: 20, max_restarts: 3, restart_window_ms: 60_000, failed_cooldown_ms: 600_000 } });
    const d = Daemon.spawn(home);
    const s = await waitFor(async () => {
      const st = await d.status();
      return st.workers.find((w) => w.name === 'updater')!.state === 'failed' ? st : undefined;
    }, 20_000, 'updater failed');
    expect(s.workers.find((w) => w.name === 'updater')).toMatchObject({ restarts: 3, pid: null });
    expect(s.workers.filter((w) => w.name !== 'updater').every((w) => w.state === 'running')).toBe(true);
    expect(s.daemon.state).not.toBe('running');
    expect(await auditEvents(home, 'worker.failed')).toHaveLength(1);
    const db = await Db.open(join(home, 'data', 'raypher.db'), { readOnly: true });
    const alerts = await db.all('SELECT type, message FROM alerts');
    await db.close();
    expect(alerts).toEqual([expect.objectContaining({ type: 'worker.failed', message: expect.stringContaining('updater worker restarted 3 times') })]);
    // The worker's own log says why it failed.
    expect(existsSync(join(home, 'logs'))).toBe(true);
    await d.stop();
  });

  it('escalates to SIGKILL when a worker ignores the stop message and SIGTERM', async () => {
    const bundle = makeBundle({ proxy: 'worker-ignore-stop' });
    const home = makeHome({ supervisor: { bundle_dir: bundle, drain_timeout_ms: 300, kill_timeout_ms: 500 } });
    const d = await Daemon.start(home);
    const pid = (await d.status()).workers.find((w) => w.name === 'proxy')!.pid!;
    const exit = await d.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(pidAlive(pid)).toBe(false);
    const proxyExit = (await auditEvents(home, 'worker.exited')).find((e) => e.data.worker === 'proxy');
    expect(proxyExit?.data.signal).toBe('SIGKILL');
  });
});
