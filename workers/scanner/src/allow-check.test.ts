import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllowListCheck, type AllowRow } from './allow-check.js';
import type { ProcessInfo } from './inventory/proc-inventory.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'raypher-allow-check-')));
const listedScript = join(dir, 'listed.mjs');
const otherScript = join(dir, 'other.mjs');
writeFileSync(listedScript, 'setTimeout(() => {}, 30_000);\n');
writeFileSync(otherScript, 'setTimeout(() => {}, 30_001);\n');
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const node = realpathSync(process.execPath);
const children: ChildProcess[] = [];
// One check for every case: the executable (node, ~100 MB) is hashed once.
const check = new AllowListCheck();

function running(script: string): ProcessInfo {
  const c = spawn(node, [script], { stdio: 'ignore' });
  children.push(c);
  return { pid: c.pid ?? 0, ppid: process.pid, uid: process.getuid?.() ?? 0, startTime: 1, comm: 'node', session: 0, kernelThread: false, exe: node, cmdline: [node, script], cwd: dir };
}

const entry = (over: Partial<AllowRow>): AllowRow => ({ exe_path: node, exe_hash: sha(node), uid: null, family: 'node', script_path: listedScript, script_hash: sha(listedScript), any_script: 0, trees: '[]', ...over });

afterAll(() => {
  for (const c of children) c.kill();
});

test('an agent is allow-listed when its executable and the script the entry names both match', () => {
  check.setEntries([entry({})]);
  expect(check.listed(running(listedScript), listedScript)).toBe(true);
});

test('the same executable running another script is not allow-listed', () => {
  check.setEntries([entry({})]);
  expect(check.listed(running(otherScript), otherScript)).toBe(false);
});

test('a listed script whose content changed, or an executable whose hash differs, is not allow-listed', () => {
  check.setEntries([entry({ script_hash: '0'.repeat(64) })]);
  expect(check.listed(running(listedScript), listedScript)).toBe(false);
  check.setEntries([entry({ exe_hash: '0'.repeat(64) })]);
  expect(check.listed(running(listedScript), listedScript)).toBe(false);
});

test('the path alone is not enough, and a new list is judged again', () => {
  const p = running(listedScript);
  check.setEntries([]);
  expect(check.listed(p, listedScript)).toBe(false);
  check.setEntries([entry({ exe_path: '/usr/bin/elsewhere', family: 'node' })]);
  expect(check.listed(p, listedScript)).toBe(false);
  check.setEntries([entry({ exe_path: '/usr/bin/elsewhere', family: 'binary', script_path: null, script_hash: null })]);
  expect(check.listed(p, listedScript)).toBe(true);
});
