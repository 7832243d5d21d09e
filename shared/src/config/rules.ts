// Rules between the keys of one section (listen address and allow_remote, heartbeat timing, providers).
import { isIP } from 'node:net';
import { RaypherError } from '../errors/index.js';
import { checkModelRoutes, checkUsageKeys, checkProviders } from './providers.js';
import type { Config, SectionName } from './schema.js';

type SectionRules = { readonly [S in SectionName]?: (value: Config[S], source: string) => void };

const RULES: SectionRules = {
  proxy: (proxy, source) => {
    checkListenAddress('proxy', proxy, source);
    checkProviders(proxy.providers, source);
    checkUsageKeys(proxy, source);
    checkModelRoutes(proxy, source);
  },
  health: (health, source) => checkListenAddress('health', health, source),
  supervisor: (s, source) => {
    if (s.heartbeat_timeout_ms <= s.heartbeat_interval_ms) {
      throw new RaypherError('ERR_CONFIG_INVALID', `${source}: supervisor.heartbeat_timeout_ms (${s.heartbeat_timeout_ms}) must be greater than supervisor.heartbeat_interval_ms (${s.heartbeat_interval_ms})`);
    }
  },
};

/** Every rule involves one section only, so a section can be checked alone (a worker's init, a reload merge). */
export function checkSectionRules<S extends SectionName>(section: S, value: Config[S], source: string): void {
  RULES[section]?.(value, source);
}

export function isLoopback(addr: string): boolean {
  return addr === 'localhost' || addr === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(addr);
}

/** A non-loopback address needs allow_remote: ERR_CONFIG_INVALID is the one code for it, for proxy and health alike. */
function checkListenAddress(section: 'proxy' | 'health', { listen_addr: addr, allow_remote: remote }: { listen_addr: string; allow_remote: boolean }, source: string): void {
  if (isIP(addr) === 0 && addr !== 'localhost') {
    throw new RaypherError('ERR_CONFIG_INVALID', `${source}: ${section}.listen_addr = "${addr}" is not an IP address; use 127.0.0.1 or ::1`);
  }
  if (!remote && !isLoopback(addr)) {
    throw new RaypherError(
      'ERR_CONFIG_INVALID',
      `${source}: ${section}.listen_addr = "${addr}" is not a loopback address; Raypher binds loopback only unless ${section}.allow_remote = true`,
    );
  }
}
