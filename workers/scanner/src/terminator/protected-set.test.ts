import type { ProcessInfo } from '../inventory/proc-inventory.js';
import { protectionReason, type ProtectionContext } from './protected-set.js';

const p = (pid: number, ppid: number, more: Partial<ProcessInfo> = {}): ProcessInfo => ({ pid, ppid, uid: 1000, startTime: 1, comm: 'sleep', session: pid, kernelThread: false, exe: '/usr/bin/sleep', cmdline: ['sleep'], cwd: '/', ...more });
// A terminal: sshd (50) -> bash (60, session leader) -> raypherctl (70); the supervisor 100 -> scanner 101, proxy 102.
const table = new Map<number, ProcessInfo>([
  [50, p(50, 1, { comm: 'sshd', exe: '/usr/sbin/sshd', cmdline: ['sshd: user'] })],
  [60, p(60, 50, { comm: 'bash', session: 60 })],
  [70, p(70, 60, { comm: 'node', session: 60 })],
  [80, p(80, 60, { comm: 'sleep', session: 60, cmdline: ['aider'] })],
]);
const ctx: ProtectionContext = { selfPid: 101, supervisorPid: 100, callerPid: 70, extra: ['keepme', '/opt/tool/bin/agent'], lookup: (pid) => table.get(pid) };

describe('protected set', () => {
  it.each([
    ['pid 1', p(1, 0, { comm: 'systemd' })],
    ['a kernel thread', p(9, 2, { kernelThread: true })],
    ['Raypher itself (the supervisor', p(100, 1)],
    ['Raypher itself (the supervisor', p(102, 100)],
    ['the service manager or sshd (sshd)', table.get(50) as ProcessInfo],
    ['the service manager or sshd (systemd)', p(900, 1, { comm: 'systemd', exe: '/usr/lib/systemd/systemd' })],
    ["the operator's own session or shell", table.get(60) as ProcessInfo],
    ["the operator's own session or shell", table.get(70) as ProcessInfo],
    ["[watchtower] protected lists 'keepme'", p(300, 1, { cmdline: ['keepme'] })],
    ["[watchtower] protected lists '/opt/tool/bin/agent'", p(301, 1, { exe: '/opt/tool/bin/agent' })],
  ])('%s', (reason, proc) => {
    expect(protectionReason(proc, ctx)).toContain(reason);
  });

  it('leaves an agent alone only if protected: one started from the same terminal is not', () => {
    expect(protectionReason(table.get(80) as ProcessInfo, ctx)).toBeNull();
    expect(protectionReason(p(400, 1, { cmdline: ['aider'] }), { ...ctx, callerPid: null })).toBeNull();
  });
});
