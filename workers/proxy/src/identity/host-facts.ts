// The facts launch.ts asks of the machine: users' homes, who may write a folder, what is executable.
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import type { LaunchContext } from './launch.js';

const PASSWD = '/etc/passwd';
/** Homes change rarely; a user database outside /etc/passwd (LDAP, systemd) is asked once per uid per this long. */
const HOME_TTL_MS = 60_000;
const homes = new Map<number, { at: number; home: string | null }>();
let passwd: { mtimeMs: number; byUid: Map<number, string> } | null = null;

function fromPasswdFile(uid: number): string | null | undefined {
  try {
    const { mtimeMs } = statSync(PASSWD);
    if (!passwd || passwd.mtimeMs !== mtimeMs) {
      const byUid = new Map<number, string>();
      for (const line of readFileSync(PASSWD, 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length >= 7) byUid.set(Number(f[2]), f[5] as string);
      }
      passwd = { mtimeMs, byUid };
    }
    return passwd.byUid.get(uid);
  } catch {
    return undefined;
  }
}

function homeOf(uid: number): string | null {
  const local = fromPasswdFile(uid);
  if (local !== undefined) return local;
  const cached = homes.get(uid);
  if (cached && performance.now() - cached.at < HOME_TTL_MS) return cached.home;
  let home: string | null = null;
  try {
    home = execFileSync('getent', ['passwd', String(uid)], { encoding: 'utf8', timeout: 2000 }).split(':')[5] ?? null;
  } catch {
    /* no such user, or no getent */
  }
  homes.set(uid, { at: performance.now(), home });
  return home;
}

/** A path's real path, or null when it does not resolve (dangling: nothing is loaded through it). */
export const realpathOrNull = (path: string): string | null => {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
};

/**
 * Root's and writable by root only (no group or other write), and so is every folder above it (else the caller could
 * rename it away and back around its start-up); or inside a pinned tree (whose changes deny).
 */
function trusted(dir: string, trees: readonly string[]): boolean {
  const real = realpathOrNull(dir);
  if (real === null) return false; // absent now: it may have existed while the program started
  if (trees.some((t) => real === t || real.startsWith(t.endsWith(sep) ? t : t + sep))) return true;
  for (let d = real; ; d = dirname(d)) {
    try {
      const st = statSync(d);
      if (st.uid !== 0 || (st.mode & 0o022) !== 0) return false;
    } catch {
      return false;
    }
    if (d === dirname(d)) return true;
  }
}

function isExecutable(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

export const hostFacts: LaunchContext = { homeOf, trusted, isExecutable, realpath: realpathOrNull };

/** The proxy's own view of the file system, read once (it does not change namespace or root). */
export const ownView = { mntNs: readlinkSync('/proc/self/ns/mnt'), root: readlinkSync('/proc/self/root') };
