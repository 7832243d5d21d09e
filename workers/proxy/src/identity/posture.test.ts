import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntryRule } from './decide.js';
import { posture, writableCode } from './posture.js';

/** Root-owned folders (the tests run as root), with the modes given. */
function tree(mode: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'raypher-posture-'));
  chmodSync(dir, mode);
  return dir;
}
const file = (dir: string, name: string) => {
  const p = join(dir, name);
  writeFileSync(p, '');
  return p;
};
const entry = (over: Partial<EntryRule>): EntryRule => ({
  id: 1, exePath: '/usr/bin/node', exeHash: 'h', uid: 0, family: 'node', scriptPath: null, scriptHash: null, anyScript: false, inlineCode: false,
  trees: [], allowEnv: [], allowOptions: [], acceptProc: false, codeChanged: false, ...over,
});

describe('code others can write', () => {
  it('a script in a sticky world-writable folder: python and node look there for new files, a shell script does not', () => {
    const sticky = tree(0o1777);
    const script = file(sticky, 'agent');
    expect(writableCode(entry({ family: 'python', scriptPath: script }))).toEqual({ path: sticky, why: expect.stringContaining('sys.path') });
    expect(writableCode(entry({ family: 'node', scriptPath: script }))).toEqual({ path: sticky, why: expect.stringContaining('node_modules') });
    expect(writableCode(entry({ family: 'shell', scriptPath: script }))).toBeNull();
  });

  it('below a sticky folder: node looks for node_modules in every folder above, python only beside the script', () => {
    const sticky = tree(0o1777);
    const app = join(sticky, 'app');
    mkdirSync(app, { mode: 0o755 });
    const script = file(app, 'agent');
    expect(writableCode(entry({ family: 'node', scriptPath: script }))).toEqual({ path: sticky, why: expect.stringContaining('node_modules') });
    expect(writableCode(entry({ family: 'node', trees: [app] }))).toEqual({ path: sticky, why: expect.stringContaining('node_modules') });
    expect(writableCode(entry({ family: 'python', scriptPath: script }))).toBeNull();
    expect(writableCode(entry({ family: 'python', trees: [app] }))).toBeNull(); // nobody can rename the tree away
  });

  it('a folder of another uid, or world-writable without the sticky bit: anything in it can be replaced', () => {
    const other = tree(0o755);
    const script = file(other, 'agent.py');
    chownSync(other, 65534, 65534);
    expect(writableCode(entry({ family: 'python', scriptPath: script }))).toEqual({ path: other, why: expect.stringContaining('whoever can write it') });
    expect(writableCode(entry({ family: 'python', scriptPath: script, uid: 65534 }))).toBeNull();
    const open = tree(0o777);
    expect(writableCode(entry({ family: 'shell', scriptPath: file(open, 'x.sh') }))).toEqual({ path: open, why: expect.stringContaining('whoever can write it') });
  });

  it('the posture names node entries (SIGUSR1 opens the inspector; ptrace_scope does not stop it) and each entry whose code others can write', () => {
    const sticky = tree(0o1777);
    const p = posture({ state: 'active', reason: null }, [entry({ id: 3, family: 'python', scriptPath: file(sticky, 'a.py') }), entry({ id: 4, family: 'node', trees: [tree(0o755)] })]);
    expect(p.entries_code_writable).toEqual([{ id: 3, path: sticky }, { id: 4, path: expect.any(String) }]);
    expect(p.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^entries 4 run node: .*SIGUSR1.*ptrace_scope does not stop this/), expect.stringContaining(`entry 3: ${sticky} is writable`)]));
  });
});
