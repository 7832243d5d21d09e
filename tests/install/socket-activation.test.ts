// Socket activation without systemd: a stand-in passes two listening sockets at fd 3 and 4 with LISTEN_FDS,
// LISTEN_PID and LISTEN_FDNAMES, exactly as systemd does. The supervisor serves on them instead of binding, and
// while the stand-in holds them a kill -9 of the supervisor refuses no connection.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { ctl, makeHome, RAYPHER_BIN, REPO, waitFor } from '../helpers/daemon.js';
import type { StatusResult } from '@raypher/shared/ipc';

const ACTIVATOR = join(REPO, 'tests', 'install', 'fixtures', 'socket-activator.py');
let activator: ChildProcess | undefined;
let output = '';

afterAll(async () => {
  const a = activator;
  if (a === undefined || a.exitCode !== null) return;
  const exited = new Promise((r) => a.once('exit', r));
  a.kill('SIGTERM');
  await exited;
});

async function status(home: string): Promise<StatusResult | undefined> {
  const r = await ctl(home, ['status', '--json']);
  if (r.code !== 0) return undefined;
  const s = JSON.parse(r.stdout) as StatusResult;
  return s.workers.every((w) => w.state === 'running') ? s : undefined;
}

/** Resolves to 'connected' or the error code; a connection the backlog holds counts as connected. */
function tryConnect(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => (s.destroy(), resolve('connected')));
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

function httpStatus(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/models', method: 'GET' }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
    req.once('error', reject);
    req.end();
  });
}

describe('socket activation (LISTEN_FDS)', () => {
  it('serves on the passed sockets, and a kill -9 of the supervisor refuses no connection while they are held', async () => {
    const home = makeHome();
    activator = spawn('python3', [ACTIVATOR, '0', process.execPath, RAYPHER_BIN, 'run', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'] });
    activator.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    const port = await waitFor(async () => Number(/"port": (\d+)/.exec(output)?.[1] ?? 0) || undefined, 10_000, 'the activator to bind');
    const first = await waitFor(() => status(home), 30_000, 'all workers running on the passed sockets');
    // [proxy] listen_port is 0 in the test config: only the passed sockets can give this port on both families.
    expect(first.proxyAddress).toBe(`127.0.0.1:${port}, [::1]:${port}`);
    expect(await httpStatus(port)).toBeGreaterThanOrEqual(200);

    process.kill(first.daemon.pid, 'SIGKILL');
    const results: string[] = [];
    const deadline = Date.now() + 4000;
    while (Date.now() < deadline) {
      results.push(await tryConnect(port, '127.0.0.1'), await tryConnect(port, '::1'));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(results.filter((r) => r !== 'connected')).toEqual([]);
    const second = await waitFor(async () => {
      const s = await status(home);
      return s !== undefined && s.daemon.pid !== first.daemon.pid ? s : undefined;
    }, 30_000, 'the restarted supervisor');
    expect(second.proxyAddress).toBe(`127.0.0.1:${port}, [::1]:${port}`);
    expect(await httpStatus(port)).toBeGreaterThanOrEqual(200);
    expect(output).toMatch(/"starts": 2/);
  });
});
