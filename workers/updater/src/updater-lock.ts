// The exclusive lock every state change holds: flock(2), released by the kernel when the holder dies.
import { closeSync, openSync } from 'node:fs';
import { tryLock } from '@raypher/shared/native';
import { busyError } from './update-errors.js';

export interface HeldLock {
  release(): void;
}

export function acquireUpdaterLock(lockFile: string): HeldLock {
  const fd = openSync(lockFile, 'a', 0o600);
  let locked = false;
  try {
    locked = tryLock(fd);
  } finally {
    if (!locked) closeSync(fd);
  }
  if (!locked) throw busyError(lockFile);
  return { release: () => closeSync(fd) };
}

export async function withUpdaterLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  const lock = acquireUpdaterLock(lockFile);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
