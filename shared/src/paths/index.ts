// Where Raypher keeps config, data, sockets and logs (user vs system mode), and how those dirs are secured.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RaypherEnv } from '../config/env.js';

export { ensureSecureDir, type DirPolicy } from './secure-dir.js';

export type Mode = 'user' | 'system';

export interface RaypherPaths {
  readonly mode: Mode;
  /** The --home / RAYPHER_HOME / ~/.raypher directory; null in system mode. */
  readonly home: string | null;
  readonly configFile: string;
  readonly dataDir: string;
  readonly runDir: string;
  readonly logDir: string;
  readonly controlSocket: string;
  readonly lockFile: string;
  readonly db: string;
  readonly vaultDb: string;
  readonly hostKey: string;
  readonly tpmDir: string;
  readonly vaultSocket: string;
}

export interface PathInputs {
  homeFlag?: string;
  env: RaypherEnv;
  uid: number;
}

const SYSTEM = {
  config: '/etc/raypher/config.toml',
  data: '/var/lib/raypher',
  run: '/run/raypher',
  logs: '/var/log/raypher',
} as const;

/** --home, then RAYPHER_HOME, then system paths for root, else ~/.raypher. */
export function resolvePaths({ homeFlag, env, uid }: PathInputs): RaypherPaths {
  const explicit = homeFlag ?? env.RAYPHER_HOME;
  if (explicit) return homePaths(resolve(explicit), 'user');
  if (uid === 0) return systemPaths();
  return homePaths(join(env.HOME ?? homedir(), '.raypher'), 'user');
}

export function homePaths(home: string, mode: Mode): RaypherPaths {
  const runDir = join(home, 'run');
  const dataDir = join(home, 'data');
  return Object.freeze({
    mode,
    home,
    configFile: join(home, 'config.toml'),
    dataDir,
    runDir,
    logDir: join(home, 'logs'),
    ...commonFiles(dataDir, runDir),
  });
}

export function systemPaths(): RaypherPaths {
  return Object.freeze({
    mode: 'system',
    home: null,
    configFile: SYSTEM.config,
    dataDir: SYSTEM.data,
    runDir: SYSTEM.run,
    logDir: SYSTEM.logs,
    ...commonFiles(SYSTEM.data, SYSTEM.run),
  });
}

function commonFiles(dataDir: string, runDir: string) {
  return {
    controlSocket: join(runDir, 'control.sock'),
    lockFile: join(runDir, 'supervisor.lock'),
    vaultSocket: join(runDir, 'vault.sock'),
    db: join(dataDir, 'raypher.db'),
    vaultDb: join(dataDir, 'vault.db'),
    hostKey: join(dataDir, 'host.key'),
    tpmDir: join(dataDir, 'tpm'),
  };
}

/** Applies the config's [logging] log_dir: relative paths live under the home (or /var/log/raypher). */
export function withLogDir(paths: RaypherPaths, logDir: string): RaypherPaths {
  if (logDir === 'logs') return paths;
  const base = paths.home ?? SYSTEM.logs;
  return Object.freeze({ ...paths, logDir: resolve(base, logDir) });
}
