import { familyOf, parseArgv } from './index.js';
import { deniedInNodeOptions } from './node.js';

describe('interpreter grammars', () => {
  it.each([
    ['/usr/bin/python3.11', 'python'],
    ['/usr/local/bin/node', 'node'],
    ['/bin/bash', 'shell'],
    ['/usr/bin/perl5.36', 'perl'],
    ['/usr/bin/deno', 'generic'],
    ['/usr/bin/curl', 'binary'],
  ])('%s is %s', (path, family) => expect(familyOf(path)).toBe(family));

  it.each([
    [['node', 'agent.mjs', '-e', 'x'], { kind: 'script', arg: 'agent.mjs' }],
    [['node', '--no-warnings', '--max-old-space-size', '256', 'agent.mjs'], { kind: 'script', arg: 'agent.mjs' }],
    [['node', '--disable-sigusr1', 'agent.mjs'], { kind: 'script', arg: 'agent.mjs' }],
    [['node', '--title', 'agent.mjs', '-e', 'x'], { kind: 'inline', how: '-e' }],
    [['node', '-pe', 'x'], { kind: 'inline', how: '-pe' }],
    [['node', '--eval=x'], { kind: 'inline', how: '--eval' }],
    [['node', '--require', 'evil.cjs', 'agent.mjs'], { kind: 'denied', option: '--require' }],
    [['node', '--experimental_loader=evil.mjs', 'agent.mjs'], { kind: 'denied', option: '--experimental_loader=evil.mjs' }],
    [['node', '--env-file=.env', 'agent.mjs'], { kind: 'denied' }],
    [['node', '--inspect-brk', 'agent.mjs'], { kind: 'denied' }],
    [['node', '--some-new-flag', 'agent.mjs'], { kind: 'denied', why: expect.stringContaining('unknown option') }],
    [['node', '--preserve-symlinks-main', '/tmp/link-to-agent.mjs'], { kind: 'denied', why: expect.stringContaining('symlink') }],
    [['node', '--', '-weird-name.mjs'], { kind: 'script', arg: '-weird-name.mjs' }],
    [['node'], { kind: 'inline', how: 'stdin' }],
  ])('node %j', (argv, expected) => expect(parseArgv('node', argv, [])).toMatchObject(expected));

  it('an option the entry names passes, but never one that runs code', () => {
    expect(parseArgv('node', ['node', '--some-new-flag', 'agent.mjs'], ['--some-new-flag'])).toMatchObject({ kind: 'script' });
    expect(parseArgv('node', ['node', '-e', 'x'], ['-e'])).toMatchObject({ kind: 'inline' });
    expect(parseArgv('node', ['node', '--require', 'x', 'agent.mjs'], ['--require'])).toMatchObject({ kind: 'denied' });
    expect(parseArgv('python', ['python3', '-c', 'x'], ['-c'])).toMatchObject({ kind: 'inline' });
  });

  it.each([
    [['python3', 'agent.py'], { kind: 'script', arg: 'agent.py', ignoresEnvironment: false }],
    [['python3', '-uB', 'agent.py'], { kind: 'script', arg: 'agent.py' }],
    [['python3', '-I', 'agent.py'], { kind: 'script', ignoresEnvironment: true }],
    [['python3', '-X', 'utf8', '-W', 'ignore::DeprecationWarning', 'agent.py'], { kind: 'script', arg: 'agent.py' }],
    [['python3', '-uc', 'x'], { kind: 'inline', how: '-c' }],
    [['python3', '-m', 'http.server'], { kind: 'inline', how: '-m' }],
    [['python3', '-i', 'agent.py'], { kind: 'denied' }],
    [['python3', '-W', 'ignore::evil.Warning', 'agent.py'], { kind: 'denied', why: expect.stringContaining('imports') }],
    [['python3', '-Xpycache_prefix=/tmp/x', 'agent.py'], { kind: 'denied' }],
    [['python3', '--unknown', 'agent.py'], { kind: 'denied' }],
  ])('python %j', (argv, expected) => expect(parseArgv('python', argv, [])).toMatchObject(expected));

  it('interpreters without a parsed grammar accept no option before the script', () => {
    expect(parseArgv('shell', ['bash', 'agent.sh'], [])).toEqual({ kind: 'script', arg: 'agent.sh' });
    expect(parseArgv('shell', ['bash', '-c', 'curl ...'], [])).toMatchObject({ kind: 'denied', option: '-c' });
    expect(parseArgv('perl', ['perl', '-e', 'x'], [])).toMatchObject({ kind: 'denied' });
  });

  it('NODE_OPTIONS is read with the same grammar', () => {
    expect(deniedInNodeOptions('--max-old-space-size=4096 --no-warnings', [])).toBeNull();
    expect(deniedInNodeOptions('--require "/tmp/evil dir/x.cjs"', [])).toMatchObject({ option: '--require' });
    expect(deniedInNodeOptions('--import=x.mjs', [])).toMatchObject({ option: '--import=x.mjs' });
    expect(deniedInNodeOptions('--inspect', [])).toMatchObject({ why: expect.stringContaining('debugger') });
  });
});
