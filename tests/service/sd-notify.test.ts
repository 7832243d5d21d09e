// sd_notify: READY=1, STATUS=, WATCHDOG=1 and STOPPING=1 arrive on a real AF_UNIX datagram socket, in order.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, killAll, makeHome, waitFor } from '../helpers/daemon.js';

afterEach(killAll);

/** An independent listener (python3's socket module): prints each datagram on its own line. */
function listen(path: string) {
  const code = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("LISTENING", flush=True)
while True:
    print(s.recv(4096).decode(), flush=True)
`;
  const p = spawn('python3', ['-c', code, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  let buf = '';
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    messages.push(...lines);
  });
  return { p, messages };
}

describe('sd_notify', () => {
  it('sends READY once all workers run, STATUS on changes, WATCHDOG at half the interval, STOPPING on stop', async () => {
    const sock = join(mkdtempSync(join(tmpdir(), 'raypher-notify-')), 'notify.sock');
    const listener = listen(sock);
    try {
      await waitFor(async () => listener.messages.includes('LISTENING'), 5000, 'listener');
      const home = makeHome();
      const d = Daemon.spawn(home, [], { env: { ...process.env, NOTIFY_SOCKET: sock, WATCHDOG_USEC: '400000' } });
      await d.waitForAllRunning();
      await waitFor(async () => listener.messages.includes('READY=1'), 5000, 'READY=1');
      const readyAt = listener.messages.indexOf('READY=1');
      await waitFor(async () => listener.messages.slice(readyAt).filter((m) => m === 'WATCHDOG=1').length >= 3, 5000, 'watchdog pings');
      await d.stop();
      await waitFor(async () => listener.messages.includes('STOPPING=1'), 5000, 'STOPPING=1');
      const msgs = listener.messages.slice(1);
      expect(msgs.filter((m) => m === 'READY=1')).toHaveLength(1);
      const statusBeforeReady = msgs.slice(0, msgs.indexOf('READY=1')).filter((m) => m.startsWith('STATUS='));
      expect(statusBeforeReady.at(-1)).toBe('STATUS=4/4 workers running');
      const stopping = msgs.indexOf('STOPPING=1');
      expect(stopping).toBeGreaterThan(msgs.indexOf('READY=1'));
      expect(msgs.slice(stopping).includes('WATCHDOG=1')).toBe(false);
      expect(msgs.slice(stopping + 1).every((m) => m.startsWith('STATUS='))).toBe(true);
    } finally {
      listener.p.kill();
    }
  });

});
