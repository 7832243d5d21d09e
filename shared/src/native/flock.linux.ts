// An exclusive flock(2) on an open file: released by the kernel when the process dies, so no stale locks.
import { libc } from './libc.js';

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;

/** Returns true when the lock was taken, false when another process holds it. */
export function tryLockLinux(fd: number): boolean {
  const c = libc();
  if (c.flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
  const errno = c.errno();
  if (errno === EWOULDBLOCK) return false;
  throw new Error(`flock failed with errno ${errno}`);
}
