import { createServer, connect, type Socket } from 'node:net';
import { ConnectionReader, establishedConnections, socketInodes } from './tcp-connections.js';
import { TcpDump } from '@raypher/shared/native';

test('the sock_diag dump lists an established connection to a port with its remote address and inode, as /proc/net/tcp does', async () => {
  const held: Socket[] = [];
  const server = createServer((s) => held.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  const dump = new TcpDump();
  try {
    const viaDiag = dump.established((p) => p === port);
    const viaProc = establishedConnections().filter((c) => c.remotePort === port);
    expect(viaDiag).toEqual([{ remoteIp: '127.0.0.1', remotePort: port, inode: expect.any(Number) }]);
    expect(viaDiag).toEqual(viaProc);
    expect(socketInodes(process.pid).has(viaDiag[0]?.inode ?? 0)).toBe(true);
    // The other end (remote port = the client's ephemeral port) is not asked for.
    expect(dump.established((p) => p === 1)).toEqual([]);
    const reader = new ConnectionReader();
    expect(reader.established((p) => p === port)).toEqual(viaDiag);
    expect(reader.source).toBe('sock_diag');
    reader.close();
  } finally {
    dump.close();
    client.destroy();
    for (const s of held) s.destroy();
    server.close();
  }
});
