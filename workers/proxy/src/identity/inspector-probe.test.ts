import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { askInspector, InspectorProbe } from './inspector-probe.js';

const listen = (s: Server, host: string) => new Promise<number>((r) => s.listen(0, host, () => r((s.address() as { port: number }).port)));

describe('the inspector probe', () => {
  it('knows node’s inspector by its /json/version answer, and nothing else for one', async () => {
    // A real inspector: node opened on a free port, as SIGUSR1 opens one on 9229.
    const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', '-e', 'setTimeout(() => {}, 30_000)'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /ws:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', () => reject(new Error(`node exited: ${err}`)));
      });
      expect(await askInspector({ ip: '0.0.0.0', port })).toBe(true);
    } finally {
      child.kill();
    }
    const http = createServer((s) => s.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n'));
    const silent = createServer(() => undefined);
    try {
      expect(await askInspector({ ip: '127.0.0.1', port: await listen(http, '127.0.0.1') })).toBe(false);
      expect(await askInspector({ ip: '::', port: await listen(silent, '::1') }, 100)).toBeNull(); // an agent's slow server is not refused
    } finally {
      http.close();
      silent.close();
    }
  });

  it('asks each listener once; an unanswered one is asked again', async () => {
    const answers: Record<number, boolean | null> = { 1: true, 2: false, 3: null };
    const asked: number[] = [];
    const probe = new InspectorProbe(async (l) => (asked.push(l.inode), answers[l.inode] ?? null));
    const all = [1, 2, 3].map((inode) => ({ inode, ip: '127.0.0.1', port: 1000 + inode }));
    expect([...(await probe.inspectors(all))]).toEqual([1]);
    expect([...(await probe.inspectors(all))]).toEqual([1]);
    expect(asked.sort()).toEqual([1, 2, 3, 3]);
  });
});
