// What every raypherctl command gets: resolved paths, output settings, and a way to reach the daemon.
import { existsSync } from 'node:fs';
import type { RaypherEnv } from '@raypher/shared/config';
import { RaypherError } from '@raypher/shared/errors';
import { connectControl, type ControlClient } from '@raypher/shared/ipc';
import { resolvePaths, systemPaths, type RaypherPaths } from '@raypher/shared/paths';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export interface CliContext {
  env: RaypherEnv;
  paths: RaypherPaths;
  json: boolean;
  color: boolean;
  version: string;
  out(text: string): void;
  err(text: string): void;
}

/** Finds the daemon the way the supervisor chose its home; a non-root user falls back to the system socket. */
export function cliPaths(env: RaypherEnv, homeFlag: string | undefined, uid: number): RaypherPaths {
  const paths = resolvePaths({ homeFlag, env, uid });
  if (homeFlag || env.RAYPHER_HOME || uid === 0 || existsSync(paths.controlSocket)) return paths;
  const system = systemPaths();
  return existsSync(system.controlSocket) ? system : paths;
}

export async function withDaemon<T>(ctx: CliContext, fn: (client: ControlClient) => Promise<T>): Promise<T> {
  const client = await connectControl(ctx.paths.controlSocket, { name: 'raypherctl', version: ctx.version });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof RaypherError && err.code === 'ERR_CONTROL_UNREACHABLE') return EXIT.unreachable;
  return EXIT.failed;
}
