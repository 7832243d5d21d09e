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

const clock = { now: 1000, newcomerGraceMs: 100 };

describe('pickVictims', () => {
  it('takes connections that sent no hello in time first, oldest first, then the longest idle greeted ones, then the rest by last sign of life', () => {
    const all = [
      c('newcomer', { connectedAt: 950 }),
      c('just-answered', { greeted: true, connectedAt: 900, lastActiveAt: 990 }),
      c('active', { greeted: true, connectedAt: 3, lastActiveAt: 940 }),
      c('idle-recent', { greeted: true, connectedAt: 1, lastActiveAt: 50 }),
      c('idle-old', { greeted: true, connectedAt: 2, lastActiveAt: 10 }),
      c('silent-new', { connectedAt: 40 }),
      c('silent-old', { connectedAt: 30 }),
    ];
    expect(pickVictims(all, 7, clock).map((v) => v.name)).toEqual(['silent-old', 'silent-new', 'idle-old', 'idle-recent', 'active', 'newcomer', 'just-answered']);
  });

  it('among newcomers only (a flood of fresh connections), takes the oldest: the latest arrival goes last', () => {
    const all = [c('latest', { connectedAt: 990 }), c('earlier', { connectedAt: 960 })];
    expect(pickVictims(all, 1, clock).map((v) => v.name)).toEqual(['earlier']);
  });

  it('never takes a busy connection, even if that leaves the socket over its cap', () => {
    const all = [c('busy', { greeted: true, busy: true }), c('silent', { connectedAt: 5 })];
    expect(pickVictims(all, 2, clock).map((v) => v.name)).toEqual(['silent']);
  });

  it('takes every unprivileged caller before a privileged one (the admin reserve)', () => {
    const all = [c('admin-silent', { privileged: true, connectedAt: 0 }), c('user-idle', { greeted: true, lastActiveAt: 99 })];
    expect(pickVictims(all, 1, clock).map((v) => v.name)).toEqual(['user-idle']);
  });

  it('takes nothing when nothing is over', () => {
    expect(pickVictims([c('a', {})], 0, clock)).toEqual([]);
  });
});
