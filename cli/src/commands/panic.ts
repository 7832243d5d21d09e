// raypherctl panic [--reason R] | panic release | panic status: the switch that makes the proxy refuse everyone.
import { Control, type PanicState } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';

export async function panicEngageCommand(ctx: CliContext, reason: string | undefined): Promise<number> {
  const s = await withDaemon(ctx, (c) => c.call(Control['panic.engage'], { reason: reason ?? null }));
  ctx.out(ctx.json ? JSON.stringify(s) : `panic engaged: the proxy now answers 503 to every request and holds no key; release with 'raypherctl panic release'`);
  return 0;
}

export async function panicReleaseCommand(ctx: CliContext): Promise<number> {
  const s = await withDaemon(ctx, (c) => c.call(Control['panic.release'], {}));
  ctx.out(ctx.json ? JSON.stringify(s) : 'panic released: the proxy serves allow-listed callers again');
  return 0;
}

export async function panicStatusCommand(ctx: CliContext): Promise<number> {
  const s = await withDaemon(ctx, (c) => c.call(Control['panic.status'], {}));
  ctx.out(ctx.json ? JSON.stringify(s) : describe(s));
  return 0;
}

function describe(s: PanicState): string {
  if (s.engaged) return `panic ENGAGED since ${s.changedAt} by ${s.changedBy}${s.reason ? `: ${s.reason}` : ''}`;
  return s.changedAt ? `panic off (released ${s.changedAt} by ${s.changedBy})` : 'panic off';
}
