// The supervisor's running config: read once at boot, and on reload read once more and merged (live keys only).
import { mergeLiveKeys, type Config, type ReloadOutcome } from '@raypher/shared/config';

export class LiveConfig {
  constructor(
    private value: Config,
    /** Reads and validates the config file: the one parse a reload does. */
    private readonly read: () => Config,
    private readonly source: string,
  ) {}

  get current(): Config {
    return this.value;
  }

  /** Throws (and keeps the running config) when the file is bad or the merge breaks a section's rules. */
  reload(): ReloadOutcome {
    const outcome = mergeLiveKeys(this.value, this.read(), `${this.source} (live keys merged into the running config)`);
    this.value = outcome.config;
    return outcome;
  }
}
