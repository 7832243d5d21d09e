import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKER_NAMES } from '@raypher/shared/ipc';
import { lkgFile, planBoot } from './boot-plan.js';
import { INSTALLED_SLOT, initialSlots, readSlots, writeJsonAtomic, writeSlots, type SlotInfo, type SlotsState } from './slots-file.js';

let root: string;
let slotsPath: string;
const now = new Date('2026-11-29T12:00:00Z');

function fakeBundle(name: string, version: string, counter: number): SlotInfo {
  const dir = join(root, 'data', 'bundles', name);
  for (const w of WORKER_NAMES) {
    mkdirSync(join(dir, w, 'dist'), { recursive: true });
    writeFileSync(join(dir, w, 'dist', 'main.js'), '');
  }
  return { dir, version, release_counter: counter, added_at: now.toISOString(), committed_at: null };
}

let installed: SlotInfo;
let v2: SlotInfo;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'raypher-slots-'));
  installed = { ...fakeBundle('installed-tree', '0.1.0', 1), committed_at: now.toISOString() };
  v2 = fakeBundle('0.1.1-r2-abc', '0.1.1', 2);
  slotsPath = join(root, 'data', 'bundles', 'slots.json');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const onTrial = (tries: number): SlotsState => ({ ...initialSlots(installed), active: 'v2', previous: INSTALLED_SLOT, slots: { [INSTALLED_SLOT]: installed, v2 }, trial: { slot: 'v2', tries_left: tries, started_at: now.toISOString() } });

describe('planBoot', () => {
  test('a first start (no slots.json, no last-known-good copy) boots the installed workers and raises nothing', () => {
    const plan = planBoot(slotsPath, installed, now);
    expect(plan.state.active).toBe(INSTALLED_SLOT);
    expect(plan.notes).toEqual([]);
  });

  test('a corrupt slots.json falls back to the last-known-good copy, keeps the bad list, and says so', () => {
    writeJsonAtomic(lkgFile(slotsPath), { id: 'v2', info: v2, bad: [{ version: '0.1.2', release_counter: 3, reason: 'x', at: 'y' }], floor: 2 });
    writeFileSync(slotsPath, '{"format":1, "act');
    const plan = planBoot(slotsPath, installed, now);
    expect(plan.state.active).toBe('v2');
    expect(plan.state.bad).toHaveLength(1);
    expect(plan.notes.map((n) => n.event)).toEqual(['update.slots_recovered']);
    expect(String(plan.notes[0]?.data.problem)).toContain('not JSON');
  });

  test('a corrupt slots.json whose last-known-good tree is gone boots the installed workers', () => {
    writeJsonAtomic(lkgFile(slotsPath), { id: 'v2', info: { ...v2, dir: join(root, 'gone') }, bad: [], floor: 2 });
    writeFileSync(slotsPath, '[]');
    const plan = planBoot(slotsPath, installed, now);
    expect(plan.state.active).toBe(INSTALLED_SLOT);
    expect(plan.notes[0]?.event).toBe('update.slots_recovered');
  });

  test('an active slot whose directory was deleted boots the last-known-good', () => {
    writeSlots(slotsPath, { ...initialSlots(installed), active: 'v2', slots: { [INSTALLED_SLOT]: installed, v2: { ...v2, dir: join(root, 'gone') } } });
    const plan = planBoot(slotsPath, installed, now);
    expect(plan.state.active).toBe(INSTALLED_SLOT);
  });

  test('each start during a trial spends a try before the workers start; at zero the last-known-good boots and the release is bad', () => {
    writeSlots(slotsPath, onTrial(3));
    const tries: number[] = [];
    for (let start = 0; start < 3; start++) {
      const plan = planBoot(slotsPath, installed, now);
      writeSlots(slotsPath, plan.state);
      tries.push(plan.state.trial?.tries_left ?? 0);
      if (plan.state.trial === null) {
        expect(plan.state.active).toBe(INSTALLED_SLOT);
        expect(plan.state.bad).toEqual([expect.objectContaining({ version: '0.1.1', release_counter: 2 })]);
        expect(plan.notes.map((n) => n.event)).toEqual(['update.rolled_back']);
      } else expect(plan.state.active).toBe('v2');
    }
    expect(tries).toEqual([2, 1, 0]);
  });

  test.each([[[]], [['vault']], [['vault', 'proxy']], [['vault', 'proxy', 'scanner']], [['vault', 'proxy', 'scanner', 'updater']]])('an apply interrupted after %j returns every worker to the slot it started from', (done) => {
    writeSlots(slotsPath, { ...initialSlots(installed), slots: { [INSTALLED_SLOT]: installed, v2 }, swap: { kind: 'apply', from: INSTALLED_SLOT, to: 'v2', done: done as never, reason: 'apply 0.1.1', started_at: now.toISOString() } });
    const plan = planBoot(slotsPath, installed, now);
    expect(plan.state).toMatchObject({ active: INSTALLED_SLOT, swap: null, trial: null });
    expect(plan.notes[0]?.event).toBe('update.rolled_back');
  });

  test('a rollback interrupted half-way finishes at start and marks the release bad', () => {
    writeSlots(slotsPath, { ...onTrial(2), swap: { kind: 'rollback', from: 'v2', to: INSTALLED_SLOT, done: ['vault'], reason: 'scanner exited', started_at: now.toISOString() } });
    const plan = planBoot(slotsPath, installed, now);
    expect(plan.state).toMatchObject({ active: INSTALLED_SLOT, swap: null, trial: null });
    expect(plan.state.bad).toEqual([expect.objectContaining({ version: '0.1.1', reason: 'scanner exited' })]);
  });

  test('writeSlots leaves no temp file and reads back the same state', () => {
    mkdirSync(join(root, 'data', 'bundles'), { recursive: true });
    writeSlots(slotsPath, onTrial(3));
    expect(readSlots(slotsPath)).toEqual({ state: onTrial(3) });
  });
});
