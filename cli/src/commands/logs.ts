// raypherctl logs [process] [-f] [-n N]: the tail of a process's log, optionally followed.
import { setTimeout as sleep } from 'node:timers/promises';
import { Control } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';

/** How often -f asks for new lines, in ms. */
const FOLLOW_POLL_MS = 500;

export async function logsCommand(ctx: CliContext, args: { process: string; lines: number; follow: boolean }): Promise<number> {
  return withDaemon(ctx, async (c) => {
    let page = await c.call(Control['logs.read'], { process: args.process, lines: args.lines });
    for (const line of page.lines) ctx.out(line);
    while (args.follow && !c.closed) {
      await sleep(FOLLOW_POLL_MS);
      page = await c.call(Control['logs.read'], { process: args.process, lines: args.lines, ...(page.cursor ? { cursor: page.cursor } : {}) });
      for (const line of page.lines) ctx.out(line);
    }
    return 0;
  });
}
