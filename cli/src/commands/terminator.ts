// raypherctl kill|suspend|resume PID: the terminator by hand (admin, audited; the protected set is refused).
import { Control } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';

const METHODS = { kill: Control['process.kill'], suspend: Control['process.suspend'], resume: Control['process.resume'] } as const;

export async function terminatorCommand(ctx: CliContext, action: keyof typeof METHODS, pid: number): Promise<number> {
  const r = await withDaemon(ctx, (c) => c.call(METHODS[action], { pid }));
  ctx.out(ctx.json ? JSON.stringify(r) : `${r.name} (pid ${r.pid}) ${r.action}`);
  return 0;
}
