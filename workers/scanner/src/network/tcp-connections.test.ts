import { parseProcNetTcp } from './tcp-connections.js';
import { ProviderAddresses } from './provider-addresses.js';

test('reads established connections from /proc/net/tcp and tcp6', () => {
  const v4 = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
    '   0: 0100007F:A1B2 0100007F:01BB 01 00000000:00000000 00:00000000 00000000     0        0 12345 1\n' +
    '   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1\n';
  expect(parseProcNetTcp(v4, false)).toEqual([{ remoteIp: '127.0.0.1', remotePort: 443, inode: 12345 }]);
  const v6 = 'header\n   0: 00000000000000000000000001000000:A1B2 0000000000000000FFFF00000100007F:01BB 01 0:0 0:0 0 0 0 777 1\n';
  expect(parseProcNetTcp(v6, true)).toEqual([{ remoteIp: '127.0.0.1', remotePort: 443, inode: 777 }]);
});

test('matches provider addresses and CIDRs on the bypass ports only', () => {
  const a = new ProviderAddresses({ provider_hosts: '', provider_addresses: '203.0.113.0/24, 2001:db8::1', bypass_ports: '443,8443' });
  expect(a.matches('203.0.113.9', 443)).toBe(true);
  expect(a.matches('2001:db8::1', 8443)).toBe(true);
  expect(a.matches('203.0.113.9', 80)).toBe(false);
  expect(a.matches('198.51.100.1', 443)).toBe(false);
});
