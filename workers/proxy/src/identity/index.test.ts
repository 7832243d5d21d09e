import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecLedger } from './exec-ledger.js';
import { FileHasher } from './file-hash.js';
import { connectionOf, createCallerSource } from './index.js';
import { startTimeOf } from './process-facts.js';

const waitFor = async (ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('caller identification', () => {
  it.each(['darwin', 'win32'] as const)('%s is not built: every caller is refused with ERR_PROXY_IDENTITY_UNSUPPORTED', (platform) => {
    const source = createCallerSource(new ExecLedger(), new FileHasher(), platform);
    expect(() => source.callers({ kind: 'unix', pid: 1, uid: 0, serverFd: -1 })).toThrow(expect.objectContaining({ code: 'ERR_PROXY_IDENTITY_UNSUPPORTED' }));
  });

  describe.each(['tcp', 'unix'] as const)('linux, a real child process over %s', (kind) => {
    let server: Server;
    let child: ChildProcess;
    let accepted: Socket;
    const ledger = new ExecLedger();
    beforeAll(async () => {
      ledger.start();
      await waitFor(() => ledger.status.state !== 'starting');
      server = createServer();
      const path = join(mkdtempSync(join(tmpdir(), 'raypher-ident-')), 's.sock');
      await new Promise<void>((r) => (kind === 'tcp' ? server.listen(0, '127.0.0.1', r) : server.listen(path, r)));
      const target = kind === 'tcp' ? JSON.stringify({ port: (server.address() as { port: number }).port, host: '127.0.0.1' }) : JSON.stringify({ path });
      const got = new Promise<Socket>((r) => server.once('connection', r));
      child = spawn(process.execPath, ['-e', `require('net').connect(${target}); setInterval(() => {}, 1000)`], { stdio: 'ignore', env: { PATH: '/usr/bin', LD_PRELOAD: '', HOME: '/nonexistent' } });
      accepted = await got;
      // The exec event may still be on its way to this thread (identify drains and retries; here we wait for it).
      const pid = child.pid as number;
      await waitFor(() => {
        ledger.drain();
        return ledger.lookup(pid, startTimeOf(pid)) !== null;
      });
    });
    afterAll(async () => {
      child.kill('SIGKILL');
      accepted.destroy();
      ledger.close();
      await new Promise((r) => server.close(r));
    });

    it('the exec ledger is active (the tests run as root) and recorded the child at its exec', () => {
      expect(ledger.status).toEqual({ state: 'active', reason: null });
    });

    it('names the child: pid, uid, the node binary, the argv and injection environment it was started with, its own socket', () => {
      const callers = createCallerSource(ledger, new FileHasher()).callers(connectionOf(accepted));
      expect(callers).toHaveLength(1);
      expect(callers[0]).toMatchObject({ pid: child.pid, uid: process.getuid?.(), exePath: process.execPath, source: 'exec', inherited: false, env: { LD_PRELOAD: '' } });
      expect(callers[0]?.argv.slice(1, 2)).toEqual(['-e']);
      expect(callers[0]?.exeHash).toMatch(/^[0-9a-f]{64}$/);
      expect(typeof callers[0]?.execNs).toBe('bigint');
    });

    it('without a ledger record the same child is read from /proc, marked as such', () => {
      const callers = createCallerSource(new ExecLedger(), new FileHasher()).callers(connectionOf(accepted));
      expect(callers[0]).toMatchObject({ pid: child.pid, source: 'proc', execNs: null });
    });
  });
});
