// The host key: 32 random bytes in a 0600 file owned by the service user; refuses anything looser.
import { closeSync, constants, fsyncSync, lstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { RaypherError } from '@raypher/shared/errors';
import { KEY_BYTES, newKey } from '../crypto.js';

export function loadHostKey(path: string, uid: number): Buffer {
  const fail = (why: string, fix: string) => new RaypherError('ERR_VAULT_HOST_KEY', `host key ${path} ${why}; ${fix}`);
  let st;
  try {
    st = lstatSync(path);
  } catch {
    throw fail('is missing', `restore it from your backup, or recover the vault with the recovery key ('raypherctl vault recover'); the vault will not start without it`);
  }
  if (!st.isFile()) throw fail('is not a regular file', 'replace it with the original key file');
  if ((st.mode & 0o777) !== 0o600) throw fail(`has mode ${(st.mode & 0o777).toString(8)}, not 600`, `run 'chmod 600 ${path}' (and check who could have read it)`);
  if (st.uid !== uid) throw fail(`is owned by uid ${st.uid}, not the service user (uid ${uid})`, `run 'chown ${uid} ${path}'`);
  const key = readFileSync(path);
  if (key.length !== KEY_BYTES) {
    key.fill(0);
    throw fail(`is ${key.length} bytes, not ${KEY_BYTES}`, 'restore the original key file');
  }
  return key;
}

/** Creates a new host key; never overwrites an existing file. */
export function createHostKey(path: string): Buffer {
  const key = newKey();
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (err) {
    key.fill(0);
    throw new RaypherError('ERR_VAULT_HOST_KEY', `cannot create host key ${path}: ${(err as NodeJS.ErrnoException).code}; if a key file is already there, the vault database that used it is missing`);
  }
  try {
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return key;
}
