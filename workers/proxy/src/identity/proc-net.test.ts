import { encodeProcAddress } from './proc-net.js';

describe('/proc/net address encoding', () => {
  it.each([
    ['127.0.0.1', 8888, '0100007F:22B8'],
    ['10.1.2.3', 80, '0302010A:0050'],
    ['::1', 8888, '00000000000000000000000001000000:22B8'],
  ])('%s:%d → %s', (ip, port, expected) => {
    expect(encodeProcAddress(ip, port)).toBe(expected);
  });
});
