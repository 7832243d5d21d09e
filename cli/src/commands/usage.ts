// raypherctl usage [--by agent|provider|model|day] [--since DURATION]: who spent what, from the audit rows.
import { Control, type UsageReportLine } from '@raypher/shared/ipc';
import type { UsageGroup } from '@raypher/shared/vocab';
import { withDaemon, type CliContext } from '../context.js';
import { table } from '../output.js';

const UNITS: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 7 * 86_400 };

/** "30m", "24h", "7d", "2w" → seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  if (!m) throw new Error(`--since ${JSON.stringify(text)} is not a duration; write a number and a unit: 30m, 24h, 7d or 2w`);
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}

export async function usageCommand(ctx: CliContext, args: { by: UsageGroup; since: string }): Promise<number> {
  const sinceSecs = parseDuration(args.since);
  const report = await withDaemon(ctx, (c) => c.call(Control['usage.report'], { by: args.by, sinceSecs }));
  if (ctx.json) {
    ctx.out(JSON.stringify({ by: args.by, ...report }));
    return 0;
  }
  ctx.out(`usage since ${report.since} by ${args.by} (cost estimated from prices as of ${report.pricesAsOf}; unpriced requests are not in it)`);
  if (report.lines.length === 0) {
    ctx.out('no requests');
    return 0;
  }
  const rows = report.lines.map((l) => [label(args.by, l), String(l.requests), String(l.tokens.input), String(l.tokens.output), String(l.tokens.cache_read + l.tokens.cache_write), usd(l.cost_micro_usd), String(l.unpriced), String(l.usage_missing)]);
  ctx.out(table(['WHO', 'REQUESTS', 'INPUT', 'OUTPUT', 'CACHE', 'COST', 'UNPRICED', 'NO USAGE'], rows));
  return 0;
}

function label(by: UsageGroup, l: UsageReportLine): string {
  if (by !== 'agent' || !l.agent) return l.key;
  const what = l.agent.script ?? l.agent.exe ?? '?';
  return `#${l.key} ${l.agent.name ?? ''} ${what} (uid ${l.agent.uid ?? 'any'})`.replace(/\s+/g, ' ');
}

const usd = (micro: number) => `$${(micro / 1_000_000).toFixed(micro < 10_000 ? 6 : 2)}`;
