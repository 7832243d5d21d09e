// Prepares the Raypher directories with owner-only modes and takes the one-supervisor-per-home lock.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { RaypherError } from '@raypher/shared/errors';
import { tryLock } from '@raypher/shared/native';
import { ensureSecureDir, type RaypherPaths } from '@raypher/shared/paths';

const OWNER_ONLY = 0o700;
const GROUP_READ = 0o750;

/** @param socketGid group allowed to reach the control socket (read-only operators), or null. */
export function prepareDirs(paths: RaypherPaths, uid: number, socketGid: number | null): void {
  const shared = socketGid === null ? { mode: OWNER_ONLY, uid } : { mode: GROUP_READ, uid, gid: socketGid };
  if (paths.home) ensureSecureDir(paths.home, shared);
  else ensureSecureDir(dirname(paths.configFile), { mode: GROUP_READ, uid });
  ensureSecureDir(paths.dataDir, { mode: OWNER_ONLY, uid });
  ensureSecureDir(paths.logDir, { mode: OWNER_ONLY, uid });
  ensureSecureDir(paths.runDir, shared);
}

export interface HomeLock {
  release(): void;
}

/** flock-based: the kernel drops it if we die, so a crash never leaves a stale lock behind. */
export function lockHome(lockFile: string, pid: number): HomeLock {
  const fd = openSync(lockFile, 'a+', 0o600);
  if (!tryLock(fd)) {
    const holder = readFileSync(lockFile, 'utf8').trim() || 'unknown';
    closeSync(fd);
    throw new RaypherError('ERR_HOME_LOCKED', `another supervisor (pid ${holder}) already runs on this home (lock ${lockFile}); stop it first or use another --home`);
  }
  ftruncateSync(fd);
  writeSync(fd, `${pid}\n`, 0);
  return { release: () => closeSync(fd) };
}
