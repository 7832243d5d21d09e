// One function per updater failure mode; each message names what failed and what to do.
import { RaypherError } from '@raypher/shared/errors';

export function configError(message: string): RaypherError {
  return new RaypherError('ERR_UPDATE_CONFIG', message);
}

export function fetchError(message: string, cause?: unknown): RaypherError {
  return new RaypherError('ERR_UPDATE_FETCH', message, cause === undefined ? undefined : { cause });
}

export function verifyError(message: string, cause?: unknown): RaypherError {
  return new RaypherError('ERR_UPDATE_VERIFY', message, cause === undefined ? undefined : { cause });
}

export function archiveError(message: string, cause?: unknown): RaypherError {
  return new RaypherError('ERR_UPDATE_ARCHIVE', message, cause === undefined ? undefined : { cause });
}

export function busyError(lockFile: string): RaypherError {
  return new RaypherError('ERR_UPDATE_BUSY', `another update operation holds ${lockFile}; try again when it ends`);
}

export function pausedError(): RaypherError {
  return new RaypherError('ERR_UPDATE_PAUSED', 'updates are paused by an operator; run raypherctl update resume to check again');
}

export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
}
