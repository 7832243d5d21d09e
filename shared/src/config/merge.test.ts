import { mergeLiveKeys } from './merge.js';
import { parseConfigText } from './read.js';
import { defaultConfig } from './validate.js';

describe('mergeLiveKeys', () => {
  it('applies live keys, keeps restart-only ones as they run and reports both', () => {
    const running = defaultConfig();
    const next = parseConfigText('[logging]\nlevel = "debug"\n[proxy]\nlisten_port = 9000\nrate_limit = 7', 'cfg');
    const { config, applied, requiresRestart } = mergeLiveKeys(running, next, 'cfg');
    expect(applied).toEqual(['proxy.rate_limit', 'logging.level']);
    expect(requiresRestart).toEqual(['proxy.listen_port']);
    expect(config.logging.level).toBe('debug');
    expect(config.proxy.rate_limit).toBe(7);
    expect(config.proxy.listen_port).toBe(8888);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.proxy)).toBe(true);
  });

  it('does not parse again: unchanged sections are the running objects, applied values the new ones', () => {
    const running = defaultConfig();
    const next = parseConfigText('[[proxy.providers]]\nname = "groq"\nbase_url = "https://api.groq.com/openai"\npath_prefix = "/groq"\nauth_header = "Authorization: Bearer {key}"\n', 'cfg');
    const { config, applied } = mergeLiveKeys(running, next, 'cfg');
    expect(applied).toEqual(['proxy.providers']);
    expect(config.proxy.providers).toBe(next.proxy.providers);
    expect(config.vault).toBe(running.vault);
    expect(config.supervisor).toBe(running.supervisor);
  });

  it('reports nothing and keeps the running config when nothing changed', () => {
    const running = defaultConfig();
    const outcome = mergeLiveKeys(running, defaultConfig(), 'cfg');
    expect(outcome).toEqual({ config: running, applied: [], requiresRestart: [] });
    for (const section of Object.keys(running) as Array<keyof typeof running>) expect(outcome.config[section]).toBe(running[section]);
  });

  it('refuses a merge whose live key disagrees with a restart-only key it is kept beside', () => {
    // heartbeat_interval_ms is restart-only (stays 1000); the live timeout would fall below it.
    const next = parseConfigText('[supervisor]\nheartbeat_interval_ms = 100\nheartbeat_timeout_ms = 500', 'cfg');
    expect(() => mergeLiveKeys(defaultConfig(), next, 'cfg (merged)')).toThrow(/cfg \(merged\): supervisor\.heartbeat_timeout_ms \(500\) must be greater than supervisor\.heartbeat_interval_ms \(1000\)/);
  });
});
