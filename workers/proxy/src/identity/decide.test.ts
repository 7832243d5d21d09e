import { decide, type Caller, type EntryRule } from './decide.js';

const entry = (over: Partial<EntryRule> = {}): EntryRule => ({
  id: 1, exePath: '/usr/bin/node', exeHash: 'h-node', uid: 1000, family: 'node', scriptPath: '/srv/agent.mjs', scriptHash: 'h-agent',
  anyScript: false, inlineCode: false, trees: [], allowEnv: [], allowOptions: [], acceptProc: false, codeChanged: false, ...over,
});
const caller = (over: Partial<Caller> = {}): Caller => ({
  pid: 42, startTime: 1, uid: 1000, exePath: '/usr/bin/node', exeDev: 1, exeIno: 2, argv: ['node', 'agent.mjs'], cwd: '/srv', env: {}, mntNs: 'mnt:[1]', root: '/',
  exeHash: 'h-node', source: 'exec', execNs: 10n, inherited: false, listeners: [], ...over,
});
const ctx = {
  connectedNs: 100n, hashFile: (p: string) => (p === '/srv/agent.mjs' ? 'h-agent' : 'other'), realpath: (p: string) => p, treeChange: () => null,
  view: { mntNs: 'mnt:[1]', root: '/' }, homeOf: () => '/home/u', trusted: (d: string) => !d.startsWith('/tmp'), isExecutable: (p: string) => p === '/usr/bin/python3',
  inspectors: new Set([77]),
};
const PY = { exePath: '/usr/bin/python3.11', exeHash: 'h-py', argv: ['/usr/bin/python3.11', 'agent.py'] };
const PY_ENTRY = { exePath: '/usr/bin/python3.11', exeHash: 'h-py', family: 'python' as const, scriptPath: '/srv/agent.py', scriptHash: 'other' };
const reason = (c: Partial<Caller>, e: Partial<EntryRule> = {}) => {
  const v = decide([caller(c)], [entry(e)], ctx);
  return v.allowed ? 'allowed' : v.reason;
};

describe('the allow decision', () => {
  it('allows the listed script, run by the listed interpreter at its path, by the entry’s uid, from an exec record', () => {
    expect(reason({})).toBe('allowed');
    expect(decide([caller()], [entry()], ctx)).toMatchObject({ allowed: true, entryId: 1, caller: { script: '/srv/agent.mjs', source: 'exec' } });
  });

  it.each([
    ['a copy of the interpreter elsewhere', { exePath: '/tmp/x' }, {}, 'not_listed'],
    ['another binary at the listed path', { exeHash: 'h-other' }, {}, 'exe_changed'],
    ['another uid', { uid: 1001 }, {}, 'wrong_uid'],
    ['an inherited socket', { inherited: true }, {}, 'inherited_socket'],
    ['an exec after the connection', { execNs: 200n }, {}, 'exec_after_connect'],
    ['no exec record', { source: 'proc' as const, execNs: null }, {}, 'no_exec_record'],
    ['LD_PRELOAD', { env: { LD_PRELOAD: '/x.so' } }, {}, 'env_injection'],
    ['NODE_OPTIONS --require', { env: { NODE_OPTIONS: '--require /x.cjs' } }, {}, 'env_injection'],
    ['OPENSSL_CONF (engines are shared objects)', { env: { OPENSSL_CONF: '/tmp/evil.cnf' } }, {}, 'env_injection'],
    ['NODE_PRESERVE_SYMLINKS', { env: { NODE_PRESERVE_SYMLINKS: '1' } }, {}, 'env_injection'],
    ['--require', { argv: ['node', '--require', '/x.cjs', 'agent.mjs'] }, {}, 'option_denied'],
    ['-e', { argv: ['node', '-e', 'x'] }, {}, 'inline_code'],
    ['another script', { argv: ['node', 'other.mjs'] }, {}, 'script_not_allowed'],
    ['the same name in another cwd', { cwd: '/tmp' }, {}, 'script_not_allowed'],
    ['a changed tree', {}, { codeChanged: true }, 'code_changed'],
    ['NODE_OPTIONS hiding --require behind an escaped quote', { env: { NODE_OPTIONS: '--title="\\"" --require=/x.cjs "--no-warnings"' } }, {}, 'env_injection'],
    ['another mount namespace (a file bind-mounted over the script)', { mntNs: 'mnt:[2]' }, {}, 'not_listed'],
    ['a chroot', { root: '/tmp/fake' }, {}, 'not_listed'],
    ['an open inspector (SIGUSR1)', { listeners: [{ inode: 77, ip: '127.0.0.1', port: 9229 }] }, {}, 'debugger_open'],
    ['an open inspector, whatever the program', { exePath: '/opt/agent', exeHash: 'h-bin', listeners: [{ inode: 77, ip: '127.0.0.1', port: 9229 }] }, { family: 'binary' as const, exePath: '/opt/agent', exeHash: 'h-bin', scriptPath: null }, 'debugger_open'],
    ['a node IPC channel from the parent (NODE_CHANNEL_FD: it can push sockets in)', { env: { NODE_CHANNEL_FD: '3' } }, {}, 'env_injection'],
    ['a cluster worker id', { env: { NODE_UNIQUE_ID: '1' } }, {}, 'env_injection'],
    ['ELECTRON_RUN_AS_NODE for a binary (Electron becomes node -e)', { exePath: '/opt/agent', exeHash: 'h-bin', env: { ELECTRON_RUN_AS_NODE: '1' } }, { family: 'binary' as const, exePath: '/opt/agent', exeHash: 'h-bin', scriptPath: null }, 'env_injection'],
    ['a binary (perhaps a node single-executable app) with NODE_OPTIONS --require', { exePath: '/opt/agent', exeHash: 'h-bin', env: { NODE_OPTIONS: '--require=/x.cjs' } }, { family: 'binary' as const, exePath: '/opt/agent', exeHash: 'h-bin', scriptPath: null }, 'env_injection'],
    ['another HOME (~/.node_modules)', { env: { HOME: '/tmp/h' } }, {}, 'env_injection'],
    ['python: another HOME (user site-packages)', { ...PY, env: { HOME: '/tmp/h' } }, PY_ENTRY, 'env_injection'],
    ['python: argv[0] in a folder the caller owns (a venv)', { ...PY, argv: ['/tmp/v/bin/python', 'agent.py'] }, PY_ENTRY, 'option_denied'],
    ['python: argv[0] through a link to its folder', { ...PY, argv: ['/tmp/link/python3.11', 'agent.py'] }, PY_ENTRY, 'option_denied'],
    ['python: a bare name found through a PATH folder the caller owns', { ...PY, argv: ['python3', 'agent.py'], env: { PATH: '/tmp/bin:/usr/bin' } }, PY_ENTRY, 'option_denied'],
  ])('denies %s', (_what, c, e, expected) => expect(reason(c, e)).toBe(expected));

  it.each([
    ['--uid any', { uid: 1001 }, { uid: null }],
    ['--proc-fallback', { source: 'proc' as const, execNs: null }, { acceptProc: true }],
    ['--allow-env', { env: { LD_LIBRARY_PATH: '/opt/cuda' } }, { allowEnv: ['LD_LIBRARY_PATH'] }],
    ['a harmless NODE_OPTIONS', { env: { NODE_OPTIONS: '--max-old-space-size=512' } }, {}],
    ['the uid\'s own HOME', { env: { HOME: '/home/u/' } }, {}],
    ['a listening socket that is not an inspector (an agent that is also a server)', { listeners: [{ inode: 78, ip: '0.0.0.0', port: 3000 }] }, {}],
    ['--allow-env NODE_CHANNEL_FD (a forked agent)', { env: { NODE_CHANNEL_FD: '3' } }, { allowEnv: ['NODE_CHANNEL_FD'] }],
    ['python -I with a node IPC channel (it ignores the environment)', { ...PY, argv: ['/usr/bin/python3.11', '-I', 'agent.py'], env: { NODE_CHANNEL_FD: '3' } }, PY_ENTRY],
    ['a HOME only root can write', { env: { HOME: '/root' } }, {}],
    ['python by its real path', PY, PY_ENTRY],
    ['python by a bare name through root\'s PATH', { ...PY, argv: ['python3', 'agent.py'], env: { PATH: '/usr/bin' } }, PY_ENTRY],
    ['a binary entry, any argv', { exePath: '/opt/agent', exeHash: 'h-bin', argv: ['agent', '--anything'] }, { family: 'binary' as const, exePath: '/usr/local/bin/agent', exeHash: 'h-bin', scriptPath: null }],
  ])('allows what the entry says: %s', (_what, c, e) => expect(reason(c, e)).toBe('allowed'));

  it('every holder must be allowed, and none is no_process', () => {
    expect(decide([caller(), caller({ pid: 43, exePath: '/usr/bin/curl', exeHash: 'h-curl' })], [entry()], ctx)).toMatchObject({ allowed: false, reason: 'not_listed', caller: { pid: 43 } });
    expect(decide([], [entry()], ctx)).toMatchObject({ allowed: false, reason: 'no_process' });
  });

  it('a script entry asks for its pinned stamp (the script swapped and put back); an entry without script or tree does not', () => {
    const asked: number[] = [];
    const spy = { ...ctx, treeChange: (id: number) => (asked.push(id), '/srv/agent.mjs') };
    expect(decide([caller()], [entry()], spy)).toMatchObject({ reason: 'code_changed', detail: '/srv/agent.mjs changed' });
    expect(decide([caller({ exePath: '/opt/agent', exeHash: 'h-bin' })], [entry({ id: 2, family: 'binary', exePath: '/opt/agent', exeHash: 'h-bin', scriptPath: null })], spy)).toMatchObject({ allowed: true });
    expect(asked).toEqual([1]);
  });

  it('a pinned tree with no named script allows a script inside it, and a change inside it denies', () => {
    const tree = { scriptPath: null, scriptHash: null, trees: ['/srv'] };
    expect(reason({}, tree)).toBe('allowed');
    expect(reason({ argv: ['node', '/srvx/agent.mjs'] }, tree)).toBe('script_not_allowed');
    expect(decide([caller()], [entry(tree)], { ...ctx, treeChange: () => '/srv/lib.mjs' })).toMatchObject({ reason: 'code_changed', detail: '/srv/lib.mjs changed' });
  });
});
