import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessInfo } from '../inventory/proc-inventory.js';
import { Detector, SCRIPT_READ_BYTES, scriptArg } from './detector.js';
import { KeyShapes, keysInEnviron } from './key-shapes.js';
import { riskOf } from './risk.js';
import { loadSignatures } from './signatures.js';

const detector = new Detector(loadSignatures());
const dir = mkdtempSync(join(tmpdir(), 'raypher-detector-'));
const proc = (cmdline: string[], exe: string, cwd = dir): ProcessInfo => ({ pid: 10, ppid: 1, uid: 0, startTime: 1, comm: 'x', session: 10, kernelThread: false, exe, cmdline, cwd });

describe('detector', () => {
  it('knows a coding agent by argv[0], executable or package path', () => {
    expect(detector.match(proc(['aider'], '/usr/bin/sleep'))?.id).toBe('aider');
    expect(detector.match(proc(['/opt/x'], '/usr/local/bin/goose'))?.id).toBe('goose');
    expect(detector.match(proc(['node', '/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js'], '/usr/bin/node'))?.id).toBe('claude-code');
    expect(detector.match(proc(['sleep', '5'], '/usr/bin/sleep'))).toBeNull();
  });

  it('knows a python or node script by what it imports, relative to the process cwd', () => {
    writeFileSync(join(dir, 'a.py'), 'import os\nfrom langchain_openai import ChatOpenAI\n');
    writeFileSync(join(dir, 'b.mjs'), "import Anthropic from '@anthropic-ai/sdk';\n");
    writeFileSync(join(dir, 'c.py'), '# openai is not imported here\nimport json\n');
    expect(detector.match(proc(['python3', '-u', 'a.py'], '/usr/bin/python3.12'))?.id).toBe('framework:langchain');
    expect(detector.match(proc(['node', '--require', 'x.js', join(dir, 'b.mjs')], '/usr/bin/node'))?.id).toBe('framework:anthropic');
    expect(detector.match(proc(['python3', 'c.py'], '/usr/bin/python3'))).toBeNull();
  });

  it('reads at most the first 64 KiB of a script', () => {
    writeFileSync(join(dir, 'late.py'), `${'#\n'.repeat(SCRIPT_READ_BYTES)}import openai\n`);
    expect(detector.match(proc(['python3', 'late.py'], '/usr/bin/python3'))).toBeNull();
  });

  it('finds the script an interpreter runs, and none for inline code', () => {
    expect(scriptArg(['python3', '-W', 'ignore', 'x.py'], 'python')).toBe('x.py');
    expect(scriptArg(['python3', '-c', 'import openai'], 'python')).toBeNull();
    expect(scriptArg(['node', '-e', 'x'], 'node')).toBeNull();
  });
});

describe('key shapes and risk', () => {
  it('names the variable and provider of a key-shaped value', () => {
    const env = ['HOME=/root', `OPENAI_API_KEY=sk-proj-${'a'.repeat(30)}`, `X=sk-ant-${'b'.repeat(30)}`, `G=AIza${'c'.repeat(35)}`, 'SHORT=sk-abc'].join('\0');
    expect(keysInEnviron(env).map(({ variable, provider }) => [variable, provider])).toEqual([['OPENAI_API_KEY', 'openai'], ['X', 'anthropic'], ['G', 'google']]);
  });

  it('knows the key of a configured provider by the variable named for it, when the value is a token', () => {
    const shapes = new KeyShapes([{ name: 'mistral' }, { name: 'my-llm' }]);
    const token = `Ab3${'x'.repeat(29)}`;
    const env = [`MISTRAL_API_KEY=${token}`, `MY_LLM_TOKEN=${token}`, `OTHER_API_KEY=${token}`, 'MISTRAL_KEY=/usr/share/some/long/path/name', `MISTRAL_API_KEY2=${token}`].join('\0');
    expect(shapes.keysIn(env).map(({ variable, provider }) => [variable, provider])).toEqual([['MISTRAL_API_KEY', 'mistral'], ['MY_LLM_TOKEN', 'my-llm']]);
    expect(keysInEnviron(env)).toEqual([]);
  });

  it('rates signals: a sealed key leaking or a key with a bypass is critical', () => {
    const none = { agent: true, keyExposed: false, sealedKeyExposed: false, bypass: false, unlisted: false };
    expect(riskOf(none)).toBe('low');
    expect(riskOf({ ...none, unlisted: true })).toBe('medium');
    expect(riskOf({ ...none, keyExposed: true })).toBe('high');
    expect(riskOf({ ...none, bypass: true })).toBe('high');
    expect(riskOf({ ...none, keyExposed: true, bypass: true })).toBe('critical');
    expect(riskOf({ ...none, keyExposed: true, sealedKeyExposed: true })).toBe('critical');
  });
});
