// raypherctl restart|stop|start <worker>.
import { Control, type WorkerName } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';

const METHODS = { restart: Control['worker.restart'], stop: Control['worker.stop'], start: Control['worker.start'] } as const;
const DONE = { restart: 'restarted', stop: 'stopped', start: 'started' } as const;

export async function workerCommand(ctx: CliContext, action: keyof typeof METHODS, worker: WorkerName): Promise<number> {
  await withDaemon(ctx, (c) => c.call(METHODS[action], { worker }));
  ctx.out(ctx.json ? JSON.stringify({ worker, action, ok: true }) : `${worker} ${DONE[action]}`);
  return 0;
}
