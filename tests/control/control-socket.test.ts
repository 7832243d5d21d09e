// The control socket under abuse, and authorization by the caller's uid (SO_PEERCRED).
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@raypher/shared/ipc';
import { ctl, Daemon, killAll, makeHome } from '../helpers/daemon.js';
import { RawClient, requestsAsUid } from '../helpers/raw-client.js';

afterEach(killAll);

const NOBODY = 65534;
const hello = { t: 'req', id: 1, m: 'hello', p: { protocolVersion: PROTOCOL_VERSION, client: 'test', version: '0' } };

describe('control socket', () => {
  it('answers garbage with errors or a closed connection and keeps serving', async () => {
    const home = makeHome();
    const d = await Daemon.start(home);
    const sock = join(home, 'run', 'control.sock');
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'run')).mode & 0o777).toBe(0o700);

    // Random bytes: whatever they decode to, the daemon answers with an error or hangs up.
    for (let i = 0; i < 20; i++) {
      const c = await RawClient.connect(sock);
      c.sendBytes(randomBytes(64));
      const reply = (await c.next().catch(() => 'silence')) as { ok?: boolean } | null | string;
      if (reply !== null && reply !== 'silence') expect(reply).toMatchObject({ t: 'res', ok: false });
      c.close();
    }

    // A huge length prefix: error reply, then the connection is closed.
    let c = await RawClient.connect(sock);
    c.sendBytes(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
    expect(await c.next()).toMatchObject({ ok: false, e: { code: 'ERR_IPC_FRAME_TOO_LARGE' } });
    expect(await c.next()).toBeNull();

    c = await RawClient.connect(sock);
    c.send({ t: 'req', id: 5, m: 'status', p: {} });
    expect(await c.next()).toMatchObject({ id: 5, ok: false, e: { code: 'ERR_IPC_HANDSHAKE_REQUIRED' } });
    c.send({ t: 'req', id: 6, m: 'hello', p: { protocolVersion: 999, client: 'x', version: '0' } });
    expect(await c.next()).toMatchObject({ id: 6, ok: false, e: { code: 'ERR_IPC_VERSION_MISMATCH' } });
    c.send(hello);
    expect(await c.next()).toMatchObject({ id: 1, ok: true, r: { protocolVersion: PROTOCOL_VERSION } });
    c.send({ t: 'req', id: 2, m: 'worker.restart', p: { worker: 42 } });
    expect(await c.next()).toMatchObject({ id: 2, ok: false, e: { code: 'ERR_IPC_BAD_PARAMS' } });
    c.send({ t: 'req', id: 3, m: 'shutdown.everything', p: {} });
    expect(await c.next()).toMatchObject({ id: 3, ok: false, e: { code: 'ERR_IPC_UNKNOWN_METHOD' } });
    c.send({ t: 'req', id: 'seven', m: 'status' });
    expect(await c.next()).toMatchObject({ ok: false, e: { code: 'ERR_IPC_BAD_FRAME' } });
    c.send([1, 2, 3]);
    expect(await c.next()).toMatchObject({ id: 0, ok: false, e: { code: 'ERR_IPC_BAD_FRAME' } });
    c.send({ t: 'req', id: 4, m: 'status', p: {} });
    expect(await c.next()).toMatchObject({ id: 4, ok: true, r: { daemon: { state: 'running' } } });
    c.close();

    const status = await ctl(home, ['status', '--json']);
    expect(status.code).toBe(0);
    expect(d.proc.exitCode).toBeNull();
    await d.stop();
  });

  it('gives a non-admin uid read access only', async () => {
    const home = makeHome({ service: { socket_group: String(NOBODY) } });
    const d = await Daemon.start(home);
    const sock = join(home, 'run', 'control.sock');
    expect(statSync(sock).mode & 0o777).toBe(0o660);
    expect(statSync(sock).gid).toBe(NOBODY);
    const replies = await requestsAsUid(NOBODY, sock, [
      { m: 'status', p: {} },
      { m: 'worker.restart', p: { worker: 'vault' } },
      { m: 'config.reload', p: {} },
    ]);
    expect(replies).toEqual([
      { id: 1, ok: true },
      { id: 2, ok: true },
      { id: 3, ok: false, code: 'ERR_CONTROL_DENIED' },
      { id: 4, ok: false, code: 'ERR_CONTROL_DENIED' },
    ]);
    // The vault worker was not restarted by the refused request.
    expect((await d.status()).workers.find((w) => w.name === 'vault')!.restarts).toBe(0);
    await d.stop();
  });

  it('exits 3 with a hint when the daemon is not running', async () => {
    const home = makeHome();
    const r = await ctl(home, ['status']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/ERR_CONTROL_UNREACHABLE: .*Start it with 'raypher run'/);
  });
});
