// The only place that reads process.env: the variables Raypher uses, captured once and frozen.
export interface RaypherEnv {
  readonly RAYPHER_HOME?: string;
  readonly NOTIFY_SOCKET?: string;
  readonly WATCHDOG_USEC?: string;
  readonly WATCHDOG_PID?: string;
  /** systemd socket activation (sd_listen_fds(3)): descriptors passed at fd 3.., for the process LISTEN_PID names. */
  readonly LISTEN_FDS?: string;
  readonly LISTEN_PID?: string;
  readonly LISTEN_FDNAMES?: string;
  readonly NO_COLOR?: string;
  readonly HOME?: string;
  /** Passed on to workers as their sanitized environment. */
  readonly PATH?: string;
  readonly LANG?: string;
  readonly TZ?: string;
}

const NAMES = ['RAYPHER_HOME', 'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'NO_COLOR', 'HOME', 'PATH', 'LANG', 'TZ'] as const;

export function readEnv(source: NodeJS.ProcessEnv = process.env): RaypherEnv {
  const out: Record<string, string> = {};
  for (const name of NAMES) {
    const value = source[name];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return Object.freeze(out);
}

/** The environment a worker process gets: nothing secret, nothing the parent's caller injected. */
export function workerEnvironment(env: RaypherEnv): Record<string, string> {
  const out: Record<string, string> = { PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin', NODE_ENV: 'production' };
  if (env.LANG) out.LANG = env.LANG;
  if (env.TZ) out.TZ = env.TZ;
  return out;
}
