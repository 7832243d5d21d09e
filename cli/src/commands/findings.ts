// raypherctl findings [--all] | findings ack ID: what the scanner found (keys exposed, proxy bypass, unlisted agents).
import { Control, type FindingInfo } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';
import { table } from '../output.js';

export async function findingsCommand(ctx: CliContext, all: boolean): Promise<number> {
  const { findings } = await withDaemon(ctx, (c) => c.call(Control['findings.list'], { all }));
  if (ctx.json) ctx.out(JSON.stringify(findings));
  else if (findings.length === 0) ctx.out(all ? 'no findings' : "no open findings (resolved ones: 'raypherctl findings --all')");
  else
    ctx.out(
      table(
        ['ID', 'KIND', 'RISK', 'STATE', 'PID', 'EXECUTABLE', 'FINGERPRINT', 'DETAIL', 'FIRST SEEN'],
        findings.map((f) => [String(f.id), f.kind, f.risk, f.state, f.pid === null ? '-' : String(f.pid), f.exe ?? '-', f.fingerprint ?? '-', f.detail, f.firstSeen]),
      ),
    );
  return 0;
}

export async function findingsAckCommand(ctx: CliContext, id: number): Promise<number> {
  const f: FindingInfo = await withDaemon(ctx, (c) => c.call(Control['findings.ack'], { id }));
  ctx.out(ctx.json ? JSON.stringify(f) : `finding ${f.id} (${f.kind}) is ${f.state}`);
  return 0;
}
