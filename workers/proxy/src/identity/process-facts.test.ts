import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { inheritedSocketInodes } from './process-facts.js';

const inodeOf = (pid: number, fd: number) => Number(/\d+/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[0]);

describe('inheritedSocketInodes', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((s) => s.on('error', () => undefined)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => server.close());

  it('read late, names a socket handed over across exec but not one the program opened itself (close-on-exec)', async () => {
    const sock: Socket = connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    // fd 3 of `sleep` is our connection, inherited across its exec without close-on-exec.
    const heir = spawn('sleep', ['5'], { stdio: ['ignore', 'ignore', 'ignore', sock] });
    // A node program that opens its own connection: libuv creates it with close-on-exec.
    const own = spawn(process.execPath, ['-e', `const s = require('net').connect(${port}, '127.0.0.1', () => console.log(s._handle.fd)); setTimeout(() => {}, 5000);`], { stdio: ['ignore', 'pipe', 'ignore'] });
    const ownFd = Number(await new Promise<string>((r) => own.stdout.once('data', (d: Buffer) => r(d.toString().trim()))));
    try {
      expect(inheritedSocketInodes(heir.pid as number, false)).toContain(inodeOf(heir.pid as number, 3));
      expect(inheritedSocketInodes(own.pid as number, false)).not.toContain(inodeOf(own.pid as number, ownFd));
      // Read fresh after an exec, every socket counts (node erases the flag evidence within a millisecond).
      expect(inheritedSocketInodes(own.pid as number, true)).toContain(inodeOf(own.pid as number, ownFd));
    } finally {
      heir.kill();
      own.kill();
      sock.destroy();
    }
  });
});
