// raypherctl update apply [--version V] | update rollback | update slots: blue/green activation of staged worker bundles.
import { Control, type SlotsResult } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';

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
  const head = ['VERSION', 'COUNTER', 'STATE', 'TRIES', 'WHEN', 'SLOT'];
  const rows = r.slots.map((s) => [s.version, String(s.release_counter), s.state, s.tries_left === null ? '-' : String(s.tries_left), s.when, s.slot]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [line(head), ...rows.map(line)];
  if (r.swap) out.push(`swap in progress: ${r.swap.kind} ${r.swap.from} -> ${r.swap.to} (done: ${r.swap.done.join(', ') || 'none'})`);
  for (const b of r.bad) out.push(`bad: ${b.version} (counter ${b.release_counter}) at ${b.at}: ${b.reason}`);
  return out.join('\n');
}
