import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionOf, createIdentifier } from './index.js';

describe('caller identification', () => {
  it.each(['darwin', 'win32'] as const)('%s is not built: every caller is refused with ERR_PROXY_IDENTITY_UNSUPPORTED', (platform) => {
    expect(() => createIdentifier(platform).identify({ kind: 'unix', pid: 1, uid: 0 })).toThrow(expect.objectContaining({ code: 'ERR_PROXY_IDENTITY_UNSUPPORTED' }));
  });

  describe.each(['tcp', 'unix'] as const)('linux, a real child process over %s', (kind) => {
    let server: Server;
    let child: ChildProcess;
    let accepted: Socket;
    beforeAll(async () => {
      server = createServer();
      const path = join(mkdtempSync(join(tmpdir(), 'raypher-ident-')), 's.sock');
      await new Promise<void>((r) => (kind === 'tcp' ? server.listen(0, '127.0.0.1', r) : server.listen(path, r)));
      const target = kind === 'tcp' ? JSON.stringify({ port: (server.address() as { port: number }).port, host: '127.0.0.1' }) : JSON.stringify({ path });
      const got = new Promise<Socket>((r) => server.once('connection', r));
      child = spawn(process.execPath, ['-e', `require('net').connect(${target}); setInterval(() => {}, 1000)`], { stdio: 'ignore' });
      accepted = await got;
    });
    afterAll(async () => {
      child.kill('SIGKILL');
      accepted.destroy();
      await new Promise((r) => server.close(r));
    });

    it('names the child: pid, uid, the node binary, and its inline code', () => {
      const callers = createIdentifier('linux').identify(connectionOf(accepted));
      expect(callers).toHaveLength(1);
      expect(callers[0]).toMatchObject({ pid: child.pid, uid: process.getuid?.(), exePath: process.execPath, code: { kind: 'inline', how: '-e' }, scriptHash: null });
      expect(callers[0]?.exeHash).toMatch(/^[0-9a-f]{64}$/);
    });
  });
});
