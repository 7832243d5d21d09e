// Environment variables that make a program load other code, per interpreter family: present at exec → deny.
import type { Family } from './grammar/index.js';

/** The dynamic loader's, and OpenSSL's (a config file or module path can load engines and providers: shared objects). */
const LOADER = ['LD_PRELOAD', 'LD_AUDIT', 'LD_LIBRARY_PATH', 'GCONV_PATH', 'OPENSSL_CONF', 'OPENSSL_ENGINES', 'OPENSSL_MODULES'];

/**
 * What node reads besides NODE_OPTIONS (a native program may be node inside: a single-executable app, Electron).
 * ELECTRON_RUN_AS_NODE makes an Electron app plain node (`-e CODE` then runs). NODE_CHANNEL_FD (with NODE_UNIQUE_ID for
 * cluster workers) is an IPC channel from the parent: node takes every socket sent over it by itself, so the parent
 * can push its own connection into the agent and leave (tests/proxy/identity-attacks-2.test.ts, 15).
 */
const NODE_INSIDE = ['ELECTRON_RUN_AS_NODE', 'NODE_CHANNEL_FD', 'NODE_UNIQUE_ID'];

const BY_FAMILY: Record<Family, readonly string[]> = {
  binary: [...LOADER, ...NODE_INSIDE],
  // NODE_OPTIONS is not listed: it is parsed with node's option grammar, so only code-loading options in it deny.
  node: [...LOADER, ...NODE_INSIDE, 'NODE_PATH', 'NODE_REPL_EXTERNAL_MODULE', 'NODE_PRESERVE_SYMLINKS'],
  python: [...LOADER, 'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME', 'PYTHONUSERBASE', 'PYTHONINSPECT', 'PYTHONBREAKPOINT', 'PYTHONPLATLIBDIR', 'PYTHONEXECUTABLE', 'PYTHONPYCACHEPREFIX', 'PYTHONWARNINGS'],
  perl: [...LOADER, 'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'PERL5DB'],
  ruby: [...LOADER, 'RUBYOPT', 'RUBYLIB'],
  php: [...LOADER, 'PHPRC', 'PHP_INI_SCAN_DIR'],
  shell: [...LOADER, 'BASH_ENV', 'ENV', 'SHELLOPTS', 'BASHOPTS', 'PS4'],
  generic: LOADER,
};
/** Exported bash functions (BASH_FUNC_name%%) replace commands a shell script runs. */
const SHELL_FUNCTION_PREFIX = 'BASH_FUNC_';

/** Not injections by themselves, but where interpreters look for code: checked in launch.ts. */
const LAUNCH = ['HOME', 'PATH'];
const ALL = new Set(['NODE_OPTIONS', ...LAUNCH, ...Object.values(BY_FAMILY).flat()]);

/** What an exec record keeps of the environment: every variable any family cares about, nothing else. */
export function isInjectionVariable(name: string): boolean {
  return ALL.has(name) || name.startsWith(SHELL_FUNCTION_PREFIX);
}

/** The first variable in env that injects code into a program of this family and the entry does not name; or null. */
export function injectedVariable(env: Readonly<Record<string, string>>, family: Family, allowed: readonly string[]): string | null {
  const names = BY_FAMILY[family];
  for (const name of Object.keys(env)) {
    if (allowed.includes(name)) continue;
    if (names.includes(name) || (family === 'shell' && name.startsWith(SHELL_FUNCTION_PREFIX))) return name;
  }
  return null;
}
