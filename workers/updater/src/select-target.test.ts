// Target choice: newest eligible counter above the floor, for this platform, channel, Node ABI and protocol; refusals say why;
// a newer release for another protocol waits for the supervisor without a refusal.
import { needsSupervisorNote, selectTarget, type SignedTarget, type Wanted } from './select-target.js';

const wanted: Wanted = { platform: 'linux-x64', channel: 'stable', nodeAbi: '115', protocols: [2], floor: { release_counter: 3, sha256: 'aa' }, restageFloor: false };
const t = (name: string, counter: number, o: Partial<{ protocol: number; channel: string; platform: string; sha: string; node_abi: string }> = {}): SignedTarget => ({
  name,
  sha256: o.sha ?? name,
  custom: { version: `0.1.${counter}`, release_counter: counter, protocol: o.protocol ?? 2, channel: o.channel ?? 'stable', platform: o.platform ?? 'linux-x64', node_abi: o.node_abi ?? '115' },
});

describe('selectTarget', () => {
  it('stages the highest counter above the floor', () => {
    const s = selectTarget([t('a', 3, { sha: 'aa' }), t('b', 5), t('c', 4)], wanted);
    expect(s).toMatchObject({ kind: 'stage', candidate: { name: 'b' } });
  });

  it('ignores other platforms, channels, Node ABIs and targets without valid custom metadata', () => {
    const s = selectTarget([t('a', 3, { sha: 'aa' }), t('mac', 9, { platform: 'darwin-arm64' }), t('beta', 9, { channel: 'beta' }), t('node22', 9, { node_abi: '127' }), { name: 'junk', sha256: 'x', custom: { release_counter: 99 } }], wanted);
    expect(s).toEqual({ kind: 'up_to_date', newest: expect.objectContaining({ name: 'a' }), needsSupervisor: null });
  });

  it('skips a newer release for another protocol when an older one fits, and names it as waiting for the supervisor', () => {
    const s = selectTarget([t('p3', 6, { protocol: 3 }), t('ok', 5), t('p3-old', 4, { protocol: 3 })], wanted);
    expect(s).toMatchObject({ kind: 'stage', candidate: { name: 'ok' }, skipped: [expect.stringMatching(/p3 .* needs IPC protocol 3/), expect.stringMatching(/p3-old/)], needsSupervisor: { name: 'p3' } });
    expect(selectTarget([t('ok', 5), t('p3-old', 4, { protocol: 3 })], wanted)).toMatchObject({ kind: 'stage', needsSupervisor: null });
  });

  it('a protocol bump (only newer releases speak another protocol) is up to date with the release waiting, not a refusal', () => {
    const bump = selectTarget([t('p3', 6, { protocol: 3 }), t('p3b', 7, { protocol: 3 })], wanted);
    expect(bump).toEqual({ kind: 'up_to_date', newest: null, needsSupervisor: expect.objectContaining({ name: 'p3b' }) });
    const waiting = bump.kind === 'up_to_date' ? bump.needsSupervisor : null;
    expect(waiting && needsSupervisorNote(waiting, [2])).toMatch(/^a newer release needs a newer supervisor: p3b \(version 0\.1\.7, release_counter 7\) speaks IPC protocol 3, this supervisor speaks 2; update the Raypher package/);
    const atFloor = selectTarget([t('a', 3, { sha: 'aa' }), t('p3', 6, { protocol: 3 })], wanted);
    expect(atFloor).toEqual({ kind: 'up_to_date', newest: expect.objectContaining({ name: 'a' }), needsSupervisor: expect.objectContaining({ name: 'p3' }) });
    // A waiting release hides neither a reused counter at the floor nor a dropped staged copy to stage again.
    expect(selectTarget([t('same', 3, { sha: 'bb' }), t('p3', 6, { protocol: 3 })], wanted)).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/reuses the release_counter floor 3/) });
    expect(selectTarget([t('a', 3, { sha: 'aa' }), t('p3', 6, { protocol: 3 })], { ...wanted, restageFloor: true })).toMatchObject({ kind: 'stage', candidate: { name: 'a' }, needsSupervisor: { name: 'p3' } });
  });

  it('refuses a repository whose newest release is below the floor, and a reused counter', () => {
    expect(selectTarget([t('old', 2)], wanted)).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/below the release_counter floor 3/) });
    expect(selectTarget([t('same', 3, { sha: 'bb' })], wanted)).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/reuses the release_counter floor 3/) });
  });

  it('stages the floor release again (same hash) only when the staged copy was dropped', () => {
    expect(selectTarget([t('a', 3, { sha: 'aa' })], wanted)).toMatchObject({ kind: 'up_to_date' });
    expect(selectTarget([t('a', 3, { sha: 'aa' })], { ...wanted, restageFloor: true })).toMatchObject({ kind: 'stage', candidate: { name: 'a' } });
  });

  it('never stages a release activation rolled back (bad), and takes the next one below it', () => {
    expect(selectTarget([t('b', 5), t('c', 4)], { ...wanted, bad: [5] })).toMatchObject({ kind: 'stage', candidate: { name: 'c' } });
    expect(selectTarget([t('b', 5)], { ...wanted, bad: [5] })).toMatchObject({ kind: 'up_to_date' });
  });
});
