// Where an interpreter looks for code beside its script: the user folders under HOME, and (python) the prefix and venv
// it derives from argv[0]. Both come from the caller, so both are checked against what the caller cannot write.
import { dirname, isAbsolute } from 'node:path';
import type { Family } from './grammar/index.js';

export interface LaunchContext {
  /** The uid's home directory from the user database, or null if it has none. */
  homeOf(uid: number): string | null;
  /** The directory (resolved by the kernel) is root's and writable by root only, or lies in one of `trees`. */
  trusted(dir: string, trees: readonly string[]): boolean;
  /** A regular file with an execute bit (python's isxfile, used in its PATH search). */
  isExecutable(path: string): boolean;
  realpath(path: string): string | null;
}

export interface LaunchInput {
  family: Family;
  uid: number;
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** The executable's real path (the interpreter's own folder is what the operator allowed). */
  exePath: string;
  trees: readonly string[];
  allowEnv: readonly string[];
}

const trimSlash = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/**
 * Python's user site-packages (and its .pth files, which run code) and node's ~/.node_modules and ~/.node_libraries
 * are found from HOME: another HOME than the uid's own (or a folder only root can write) points them at a folder the
 * caller filled.
 */
export function homeProblem(i: LaunchInput, ctx: LaunchContext): string | null {
  if (i.family !== 'python' && i.family !== 'node') return null;
  const home = i.env.HOME;
  if (home === undefined || i.allowEnv.includes('HOME')) return null;
  const own = ctx.homeOf(i.uid);
  if (own !== null && trimSlash(home) === trimSlash(own)) return null;
  if (ctx.trusted(home, i.trees)) return null; // root's all the way up: nobody else can put code in it (HOME=/root, HOME=/)
  return `HOME is ${home}, not the home of uid ${i.uid} (${own ?? 'none'}): ${i.family === 'python' ? "python's user site-packages" : "node's ~/.node_modules"} would load code from there`;
}

/** Python's own textual path operations (getpath.py): no normalisation of `..`, the kernel resolves it later. */
const textDir = (p: string) => dirname(p);
const absolute = (cwd: string, p: string) => (isAbsolute(p) ? p : `${trimSlash(cwd)}/${p}`);

/**
 * Python takes its executable's location from argv[0] (or a PATH search for a bare name), not from /proc/self/exe, and
 * reads pyvenv.cfg beside it or one folder up, or searches upward from it for its standard library: an argv[0] in a
 * folder the caller owns gives it another venv or stdlib (site-packages .pth files run code). Those folders must be
 * root's, or pinned. It reads them at start-up, so an existence check now proves nothing: the caller may already
 * have removed what it placed; only who can write the folders counts.
 */
export function pythonLaunchProblem(i: LaunchInput, ctx: LaunchContext): string | null {
  if (i.family !== 'python') return null;
  const argv0 = i.argv[0] ?? '';
  const ownDir = dirname(i.exePath);
  // The interpreter's own folder (and its install above it) is what the operator allowed.
  const untrusted = (dir: string) => ctx.realpath(dir) !== ownDir && !ctx.trusted(dir, i.trees);
  const besideExecutable = (exe: string) => {
    const dir = textDir(exe);
    if (dir === ownDir) return null; // by its real folder: not through a link to it, whose parent python would read
    for (const d of [dir, textDir(dir)]) if (untrusted(d)) return `python was started as ${argv0} and reads its prefix and venv (pyvenv.cfg) from ${d}, which is not root's: start it by its real path, or pin that folder with --tree`;
    return null;
  };
  if (argv0.includes('/')) return besideExecutable(absolute(i.cwd, argv0));
  // A bare name: python searches PATH itself. A folder early in PATH may have held a link while python started.
  const path = i.env.PATH;
  if (path === undefined || i.allowEnv.includes('PATH')) return null;
  for (const entry of path.split(':')) {
    const dir = absolute(i.cwd, entry === '' ? '.' : entry);
    if (untrusted(dir)) return `python was started as ${argv0} through PATH, whose folder ${dir} is not root's: start it by its real path, or name PATH with --allow-env`;
    const candidate = `${trimSlash(dir)}/${argv0}`;
    if (ctx.isExecutable(candidate)) return besideExecutable(candidate);
  }
  return null;
}
