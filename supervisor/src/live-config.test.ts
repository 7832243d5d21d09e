import { defaultConfig, parseConfigText, type Config } from '@raypher/shared/config';
import { LiveConfig } from './live-config.js';

describe('LiveConfig', () => {
  const reader = (...texts: string[]) => {
    const reads: Config[] = [];
    const read = () => {
      const text = texts[reads.length] ?? texts[texts.length - 1] ?? '';
      const config = parseConfigText(text, 'cfg');
      reads.push(config);
      return config;
    };
    return { reads, read };
  };

  it('reads the file once per reload and reports applied and restart-only keys', () => {
    const { reads, read } = reader('[logging]\nlevel = "debug"\n[supervisor]\nbundle_dir = "/elsewhere"\nmax_restarts = 9');
    const live = new LiveConfig(defaultConfig(), read, 'cfg');
    const outcome = live.reload();
    expect(reads).toHaveLength(1);
    expect(outcome.applied).toEqual(['logging.level', 'supervisor.max_restarts']);
    expect(outcome.requiresRestart).toEqual(['supervisor.bundle_dir']);
    expect(live.current).toBe(outcome.config);
    expect(live.current.supervisor.bundle_dir).toBe('');
    expect(live.current.supervisor.max_restarts).toBe(9);
    // The running config is built from the one parse: the applied section value is the file's own.
    expect(live.current.logging.level).toBe(reads[0]?.logging.level);
  });

  it('keeps the running config when the reloaded file is invalid', () => {
    const live = new LiveConfig(defaultConfig(), reader('[proxy]\nrate_limit = 0').read, 'cfg');
    const before = live.current;
    expect(() => live.reload()).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    expect(live.current).toBe(before);
  });

  it('refuses a reload whose live keys break a rule with the running restart-only keys, naming the merge', () => {
    const live = new LiveConfig(defaultConfig(), reader('[supervisor]\nheartbeat_interval_ms = 100\nheartbeat_timeout_ms = 500').read, 'cfg');
    expect(() => live.reload()).toThrow(/cfg \(live keys merged into the running config\): supervisor\.heartbeat_timeout_ms \(500\)/);
    expect(live.current.supervisor.heartbeat_timeout_ms).toBe(5000);
  });
});
