import { spawn } from 'node:child_process';
import { parseStat, ProcInventory } from './proc-inventory.js';

test('parseStat counts fields after the last parenthesis of comm', () => {
  const s = parseStat('42 (a) b (c)) S 7 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0');
  expect(s).toEqual({ comm: 'a) b (c)', ppid: 7, session: 42, flags: 4194560, startTime: 12345 });
});

test('a new process is listed with its argv[0], exe and cwd', async () => {
  const inv = new ProcInventory();
  inv.scan();
  const child = spawn('sleep', ['30'], { argv0: 'aider', cwd: '/tmp', stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 200));
  try {
    const p = inv.scan().find((x) => x.pid === child.pid);
    expect(p?.cmdline[0]).toBe('aider');
    expect(p?.exe).toMatch(/sleep$/);
    expect(p?.cwd).toBe('/tmp');
    expect(p?.ppid).toBe(process.pid);
    expect(inv.current(child.pid ?? 0)?.startTime).toBe(p?.startTime);
  } finally {
    child.kill();
  }
});

test('a process seen before it executed its program is read again after the exec', async () => {
  const inv = new ProcInventory();
  const child = spawn('bash', ['-c', 'sleep 1; exec -a aider sleep 30'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 100));
    const before = inv.scan().find((x) => x.pid === child.pid);
    expect(before?.cmdline[0]).toBe('bash');
    await new Promise((r) => setTimeout(r, 2000));
    const after = inv.scan().find((x) => x.pid === child.pid);
    expect(after?.cmdline[0]).toBe('aider');
    expect(after?.startTime).toBe(before?.startTime);
  } finally {
    child.kill();
  }
});
