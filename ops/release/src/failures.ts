// One function per failure mode of the release tool; each message names the cause and the fix.
import { RaypherError } from '@raypher/shared/errors';

export function bundleError(message: string, cause?: unknown): RaypherError {
  return new RaypherError('ERR_RELEASE_BUNDLE', message, cause === undefined ? undefined : { cause });
}

export function keysError(message: string, cause?: unknown): RaypherError {
  return new RaypherError('ERR_RELEASE_KEYS', message, cause === undefined ? undefined : { cause });
}

export function repoError(message: string, cause?: unknown): RaypherError {
  return new RaypherError('ERR_RELEASE_REPO', message, cause === undefined ? undefined : { cause });
}

export function detail(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function packageError(message: string, cause?: unknown): RaypherError {
  return new RaypherError('ERR_RELEASE_PACKAGE', message, cause === undefined ? undefined : { cause });
}
