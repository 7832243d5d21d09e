// Real supervisor, real worker processes: start, kill -9 recovery, orderly shutdown with no orphans.
import { WORKER_NAMES } from '@raypher/shared/ipc';
import { auditEvents, childrenOf, ctl, Daemon, killAll, makeHome, pidAlive, waitFor } from '../helpers/daemon.js';

afterEach(killAll);

describe('worker lifecycle', () => {
  it('starts all four workers and shows them in status --json', async () => {
    const home = makeHome();
    const d = await Daemon.start(home);
    const s = await d.status();
    expect(s.daemon.state).toBe('running');
    expect(s.workers.map((w) => w.name)).toEqual([...WORKER_NAMES]);
    for (const w of s.workers) {
      expect(w).toMatchObject({ state: 'running', restarts: 0 });
      expect(w.pid).toEqual(expect.any(Number));
      expect(w.rssBytes).toBeGreaterThan(0);
      expect(w.heartbeatAgeSecs).toBeLessThan(5);
    }
    const human = await ctl(home, ['status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('RAYPHER — System Status');
    expect(human.stdout).toMatch(/vault\s+\d+\s+running/);
    expect(human.stdout).not.toContain('\u001b['); // not a TTY: no colours
    await d.stop();
  });

  it('brings each worker back after kill -9, counting and auditing the restart', async () => {
    const home = makeHome();
    const d = await Daemon.start(home);
    for (const name of WORKER_NAMES) {
      const before = (await d.status()).workers.find((w) => w.name === name)!;
      process.kill(before.pid!, 'SIGKILL');
      const after = await waitFor(async () => {
        const w = (await d.status()).workers.find((x) => x.name === name)!;
        return w.state === 'running' && w.pid !== before.pid ? w : undefined;
      }, 10_000, `${name} running again`);
      expect(after.restarts).toBe(1);
      expect(pidAlive(before.pid!)).toBe(false);
    }
    const restarted = await auditEvents(home, 'worker.restarted');
    expect(restarted.map((e) => e.data.worker).sort()).toEqual([...WORKER_NAMES].sort());
    const exited = await auditEvents(home, 'worker.exited');
    expect(exited.filter((e) => e.data.signal === 'SIGKILL')).toHaveLength(4);
    await d.stop();
  });

  it('on SIGTERM stops every worker within the kill timeout and leaves no orphans', async () => {
    const home = makeHome();
    const d = await Daemon.start(home);
    const pids = (await d.status()).workers.map((w) => w.pid!);
    expect(childrenOf(d.pid).sort()).toEqual([...pids].sort());
    const t0 = Date.now();
    const exit = await d.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000 + 1000 * 4);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    const types = (await auditEvents(home)).map((e) => e.type);
    expect(types).toContain('supervisor.stopping');
    // Reverse start order: updater exits first, vault last.
    const exits = (await auditEvents(home, 'worker.exited')).map((e) => e.data.worker);
    expect(exits).toEqual(['updater', 'scanner', 'proxy', 'vault']);
  });

  it('stop, start and restart one worker from raypherctl; others keep running', async () => {
    const home = makeHome();
    const d = await Daemon.start(home);
    expect((await ctl(home, ['stop', 'scanner'])).code).toBe(0);
    let s = await d.status();
    expect(s.workers.find((w) => w.name === 'scanner')).toMatchObject({ state: 'stopped', pid: null });
    expect(s.daemon.state).toBe('degraded');
    expect(s.workers.filter((w) => w.state === 'running')).toHaveLength(3);
    expect((await ctl(home, ['start', 'scanner'])).code).toBe(0);
    s = await d.waitForAllRunning();
    const oldPid = s.workers.find((w) => w.name === 'proxy')!.pid;
    expect((await ctl(home, ['restart', 'proxy'])).code).toBe(0);
    s = await d.waitForAllRunning();
    expect(s.workers.find((w) => w.name === 'proxy')!.pid).not.toBe(oldPid);
    expect((await ctl(home, ['restart', 'nonsense'])).code).toBe(2);
    await d.stop();
  });
});
