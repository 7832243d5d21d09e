// raypherctl update apply [--version V] | update rollback | update slots: blue/green activation of staged worker bundles.
import { Control, type SlotsResult } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';
import { table } from '../output.js';
import type { UpdateVerb } from './update.js';

export async function updateApplyCommand(ctx: CliContext, version: string | undefined): Promise<number> {
  const r = await withDaemon(ctx, (c) => c.call(Control['update.apply'], { version }));
  ctx.out(ctx.json ? JSON.stringify(r) : `every worker now runs ${r.version} (slot ${r.to}, was ${r.from}) after ${r.ms} ms; on trial: an exit, hang or failed start rolls it back`);
  return 0;
}

export async function updateRollbackCommand(ctx: CliContext): Promise<number> {
  const r = await withDaemon(ctx, (c) => c.call(Control['update.rollback'], {}));
  ctx.out(ctx.json ? JSON.stringify(r) : `rolled back: every worker runs ${r.version} (slot ${r.to}) after ${r.ms} ms; slot ${r.from} is marked bad`);
  return 0;
}

export async function updateSlotsCommand(ctx: CliContext): Promise<number> {
  const r = await withDaemon(ctx, (c) => c.call(Control['update.slots'], {}));
  ctx.out(ctx.json ? JSON.stringify(r) : describeSlots(r));
  return 0;
}

function describeSlots(r: SlotsResult): string {
  const rows = r.slots.map((s) => [s.version, String(s.release_counter), s.state, s.tries_left === null ? '-' : String(s.tries_left), s.when, s.slot]);
  const out = [table(['VERSION', 'COUNTER', 'STATE', 'TRIES', 'WHEN', 'SLOT'], rows)];
  if (r.swap) out.push(`swap in progress: ${r.swap.kind} ${r.swap.from} -> ${r.swap.to} (done: ${r.swap.done.join(', ') || 'none'})`);
  for (const b of r.bad) out.push(`bad: ${b.version} (counter ${b.release_counter}) at ${b.at}: ${b.reason}`);
  return out.join('\n');
}

/** The blue/green verbs of `raypherctl update`, beside the updater's (update.ts). */
export const UPDATE_SLOT_VERBS: readonly UpdateVerb[] = [
  {
    command: 'apply',
    describe: 'Swap every worker onto a staged bundle, one at a time, then trial it (admin)',
    // --version names the release to apply, so yargs' own --version is off here.
    builder: (y) => y.version(false).option('version', { type: 'string', describe: 'Staged version to apply (default: the newest not marked bad)' }),
    run: (ctx, a) => updateApplyCommand(ctx, typeof a.version === 'string' ? a.version : undefined),
  },
  { command: 'rollback', describe: 'Swap every worker back onto the previous slot; the release left is marked bad (admin)', run: (ctx) => updateRollbackCommand(ctx) },
  { command: 'slots', describe: 'The bundle slot table: version, counter, state, tries, when', run: (ctx) => updateSlotsCommand(ctx) },
];
