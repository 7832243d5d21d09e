// raypherctl version: this CLI's version and, when reachable, the daemon's.
import { PROTOCOL_VERSION } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';

export async function versionCommand(ctx: CliContext): Promise<number> {
  const daemon = await withDaemon(ctx, async (c) => c.daemonVersion).catch(() => null);
  if (ctx.json) ctx.out(JSON.stringify({ cli: ctx.version, daemon, protocol: PROTOCOL_VERSION }));
  else ctx.out(`raypherctl ${ctx.version} (protocol ${PROTOCOL_VERSION})\ndaemon     ${daemon ?? 'not reachable'}`);
  return 0;
}
