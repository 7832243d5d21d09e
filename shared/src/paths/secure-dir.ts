// Creates a directory with an exact owner and mode, or refuses with the path, the reason and the fix.
import { chmodSync, chownSync, lstatSync, mkdirSync } from 'node:fs';
import { RaypherError } from '../errors/index.js';

export interface DirPolicy {
  mode: number;
  uid: number;
  /** Group to own the directory (for socket_group); undefined keeps the current group. */
  gid?: number;
}

export function ensureSecureDir(dir: string, policy: DirPolicy): void {
  const fail = (why: string, fix: string) =>
    new RaypherError('ERR_HOME_INSECURE', `cannot secure ${dir}: ${why}; ${fix}`);
  try {
    mkdirSync(dir, { recursive: true, mode: policy.mode });
  } catch (err) {
    throw fail(`mkdir failed (${(err as NodeJS.ErrnoException).code})`, 'check that the parent directory exists and is writable');
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) throw fail('it is a symbolic link', 'replace it with a real directory');
  if (!st.isDirectory()) throw fail('it is not a directory', 'remove the file or choose another --home');
  if (st.uid !== policy.uid || (policy.gid !== undefined && st.gid !== policy.gid)) {
    try {
      chownSync(dir, policy.uid, policy.gid ?? st.gid);
    } catch {
      throw fail(`it is owned by uid ${st.uid}, not ${policy.uid}`, `run 'chown ${policy.uid} ${dir}' as root or choose another --home`);
    }
  }
  try {
    chmodSync(dir, policy.mode);
  } catch (err) {
    throw fail(`chmod failed (${(err as NodeJS.ErrnoException).code})`, `set it with 'chmod ${policy.mode.toString(8)} ${dir}'`);
  }
  const after = lstatSync(dir);
  if ((after.mode & 0o777) !== policy.mode || after.uid !== policy.uid) {
    throw fail(
      `mode is ${(after.mode & 0o777).toString(8)} owner ${after.uid} after securing (filesystem ignores permissions?)`,
      'put the Raypher home on a filesystem with POSIX permissions',
    );
  }
}
