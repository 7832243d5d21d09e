import { readlinkSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { encodeProcAddress, findInProcNet, SocketOwnerLookup } from './proc-net.js';

describe('/proc/net address encoding', () => {
  it.each([
    ['127.0.0.1', 8888, '0100007F:22B8'],
    ['10.1.2.3', 80, '0302010A:0050'],
    ['::1', 8888, '00000000000000000000000001000000:22B8'],
  ])('%s:%d → %s', (ip, port, expected) => {
    expect(encodeProcAddress(ip, port)).toBe(expected);
  });
});

describe.each(['127.0.0.1', '::1'])('socket owner lookup on a real loopback connection over %s', (host) => {
  let server: Server;
  let client: Socket;
  let accepted: Socket;
  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((r) => server.listen(0, host, r));
    const got = new Promise<Socket>((r) => server.once('connection', r));
    client = connect((server.address() as AddressInfo).port, host);
    await new Promise((r) => client.once('connect', r));
    accepted = await got;
  });
  afterAll(async () => {
    client.destroy();
    accepted.destroy();
    await new Promise((r) => server.close(r));
  });

  const endpoints = () => ({
    client: { ip: accepted.remoteAddress as string, port: accepted.remotePort as number },
    server: { ip: accepted.localAddress as string, port: accepted.localPort as number },
  });

  it('netlink sock_diag names our uid and the inode our client fd points at', () => {
    const lookup = new SocketOwnerLookup();
    const { client: c, server: s } = endpoints();
    const owner = lookup.find(c, s);
    expect(lookup.method).toBe('netlink');
    lookup.close();
    expect(owner?.uid).toBe(process.getuid?.());
    const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
    expect(readlinkSync(`/proc/self/fd/${fd}`)).toBe(`socket:[${owner?.inode}]`);
  });

  it('the /proc/net fallback finds the same socket', () => {
    const { client: c, server: s } = endpoints();
    const lookup = new SocketOwnerLookup();
    expect(findInProcNet(c, s)).toEqual(lookup.find(c, s));
    lookup.close();
  });

  it('a connection that does not exist is null, not an error', () => {
    const lookup = new SocketOwnerLookup();
    expect(lookup.find({ ip: host, port: 1 }, { ip: host, port: 2 })).toBeNull();
    expect(lookup.method).toBe('netlink');
    lookup.close();
  });
});
