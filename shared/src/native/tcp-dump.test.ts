import { readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { TcpDump } from './index.js';

const ownSockets = () => new Set(readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } }));

test('the sock_diag dump of listening sockets names each one’s local address, port and inode (IPv4 and IPv6)', async () => {
  const v4 = createServer();
  const v6 = createServer();
  await new Promise<void>((r) => v4.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => v6.listen(0, '::1', r));
  const dump = new TcpDump();
  try {
    const listening = dump.listening();
    const port4 = (v4.address() as { port: number }).port;
    const port6 = (v6.address() as { port: number }).port;
    const mine = listening.filter((l) => l.port === port4 || l.port === port6);
    expect(mine).toEqual(expect.arrayContaining([{ ip: '127.0.0.1', port: port4, inode: expect.any(Number) }, { ip: '0:0:0:0:0:0:0:1', port: port6, inode: expect.any(Number) }]));
    const held = ownSockets();
    for (const l of mine) expect(held.has(`socket:[${l.inode}]`)).toBe(true);
    expect(dump.established((p) => p === port4)).toEqual([]); // nobody is connected: a listener is not established
  } finally {
    dump.close();
    v4.close();
    v6.close();
  }
});
