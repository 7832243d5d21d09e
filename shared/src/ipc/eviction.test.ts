import { pickVictims, type EvictionCandidate } from './eviction.js';

const c = (name: string, o: Partial<EvictionCandidate>): EvictionCandidate & { name: string } => ({
  name,
  greeted: false,
  busy: false,
  privileged: false,
  connectedAt: 0,
  lastActiveAt: 0,
  ...o,
});

describe('pickVictims', () => {
  it('takes connections without a hello first, oldest first, then the longest idle greeted ones', () => {
    const all = [
      c('idle-recent', { greeted: true, connectedAt: 1, lastActiveAt: 50 }),
      c('idle-old', { greeted: true, connectedAt: 2, lastActiveAt: 10 }),
      c('silent-new', { connectedAt: 40 }),
      c('silent-old', { connectedAt: 30 }),
    ];
    expect(pickVictims(all, 3).map((v) => v.name)).toEqual(['silent-old', 'silent-new', 'idle-old']);
  });

  it('never takes a busy connection, even if that leaves the socket over its cap', () => {
    const all = [c('busy', { greeted: true, busy: true }), c('silent', { connectedAt: 5 })];
    expect(pickVictims(all, 2).map((v) => v.name)).toEqual(['silent']);
  });

  it('takes every unprivileged caller before a privileged one (the admin reserve)', () => {
    const all = [c('admin-silent', { privileged: true, connectedAt: 0 }), c('user-idle', { greeted: true, lastActiveAt: 99 })];
    expect(pickVictims(all, 1).map((v) => v.name)).toEqual(['user-idle']);
  });

  it('takes nothing when nothing is over', () => {
    expect(pickVictims([c('a', {})], 0)).toEqual([]);
  });
});
