// raypherctl health: the same JSON /health serves, read over the control socket.
import { Control } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';

export async function healthCommand(ctx: CliContext): Promise<number> {
  const health = await withDaemon(ctx, (c) => c.call(Control.health, {}));
  ctx.out(JSON.stringify(health, null, ctx.json ? 0 : 2));
  return health.status === 'healthy' ? 0 : 1;
}
