// raypherctl agents | scan: the AI agents the scanner found, and a pass on demand.
import { Control } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';
import { table } from '../output.js';

export async function agentsCommand(ctx: CliContext): Promise<number> {
  const { agents } = await withDaemon(ctx, (c) => c.call(Control['agents.list'], {}));
  if (ctx.json) ctx.out(JSON.stringify(agents));
  else if (agents.length === 0) ctx.out('no AI agent detected on the last pass');
  else
    ctx.out(
      table(
        ['PID', 'NAME', 'EXECUTABLE', 'RISK', 'ALLOW-LISTED', 'VIA PROXY', 'REASONS'],
        agents.map((a) => [String(a.pid), a.name, a.exe ?? '-', a.suspended ? `${a.risk} (suspended)` : a.risk, a.allowListed ? 'yes' : 'no', a.viaProxy ? 'yes' : 'no', a.reasons.join('; ')]),
      ),
    );
  return 0;
}

export async function scanCommand(ctx: CliContext): Promise<number> {
  const r = await withDaemon(ctx, (c) => c.call(Control['scan.run'], {}));
  ctx.out(ctx.json ? JSON.stringify(r) : `scanned ${r.processes} processes in ${r.durationMs.toFixed(1)} ms: ${r.agents} agents, ${r.openFindings} open findings (connections read by ${r.connections})`);
  return 0;
}
