// The provider address set for proxy.bypass: config addresses/CIDRs plus the providers' hostnames, resolved periodically.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export interface ProviderAddressConfig {
  readonly provider_hosts: string;
  readonly provider_addresses: string;
  readonly bypass_ports: string;
}

export function splitList(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}

export class ProviderAddresses {
  private list = new BlockList();
  private ports = new Set<number>();
  private resolved: string[] = [];

  constructor(private cfg: ProviderAddressConfig) {
    this.rebuild();
  }

  update(cfg: ProviderAddressConfig): void {
    this.cfg = cfg;
    this.rebuild();
  }

  /** Resolves the configured hostnames; a name that does not resolve is skipped (offline machine). */
  async resolve(): Promise<void> {
    const out: string[] = [];
    for (const host of splitList(this.cfg.provider_hosts)) {
      const addrs = await lookup(host, { all: true }).catch(() => []);
      for (const a of addrs) out.push(a.address);
    }
    this.resolved = out;
    this.rebuild();
  }

  /** A port connections to providers are watched on (bypass_ports). */
  watchesPort(port: number): boolean {
    return this.ports.has(port);
  }

  /** Whether ip:port is a provider address on a bypass port. */
  matches(ip: string, port: number): boolean {
    if (!this.ports.has(port)) return false;
    const family = isIP(ip);
    return family !== 0 && this.list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }

  private rebuild(): void {
    const list = new BlockList();
    for (const entry of [...splitList(this.cfg.provider_addresses), ...this.resolved]) {
      const [ip = '', bits] = entry.split('/');
      const family = isIP(ip);
      if (family === 0) continue;
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) list.addAddress(ip, type);
      else list.addSubnet(ip, Number(bits), type);
    }
    this.list = list;
    this.ports = new Set(splitList(this.cfg.bypass_ports).map(Number).filter((p) => Number.isInteger(p) && p > 0 && p < 65536));
  }
}
