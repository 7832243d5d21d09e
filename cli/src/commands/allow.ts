// raypherctl allow --exe-path P [...] | allow list | allow rm ID.
import { Control } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';
import { table } from '../output.js';

export interface AllowArgs {
  exePath: string;
  script?: string;
  uid?: number;
  name?: string;
  anyScript: boolean;
  inline: boolean;
  rateLimit?: number;
}

export async function allowAddCommand(ctx: CliContext, a: AllowArgs): Promise<number> {
  const e = await withDaemon(ctx, (c) =>
    c.peer.call(Control['allow.add'], { exePath: a.exePath, script: a.script ?? null, uid: a.uid ?? null, name: a.name ?? null, anyScript: a.anyScript, inlineCode: a.inline, rateLimit: a.rateLimit ?? null }, { timeoutMs: 60_000 }),
  );
  ctx.out(ctx.json ? JSON.stringify(e) : `${e.name ?? e.exePath} registered as entry ${e.id} (hash: ${e.exeHash.slice(0, 12)}…${e.scriptPath ? `, script ${e.scriptPath}` : e.anyScript ? ', any script' : ''})`);
  return 0;
}

export async function allowListCommand(ctx: CliContext): Promise<number> {
  const { entries } = await withDaemon(ctx, (c) => c.peer.call(Control['allow.list'], {}));
  if (ctx.json) ctx.out(JSON.stringify(entries));
  else if (entries.length === 0) ctx.out("the allow list is empty: every caller is refused; add one with 'raypherctl allow --exe-path PATH'");
  else
    ctx.out(
      table(
        ['ID', 'NAME', 'EXECUTABLE', 'HASH', 'SCRIPT', 'UID', 'RATE/MIN', 'ADDED'],
        entries.map((e) => [String(e.id), e.name ?? '-', e.exePath, `${e.exeHash.slice(0, 12)}…`, e.scriptPath ?? (e.anyScript ? '(any)' : e.inlineCode ? '(inline)' : '-'), e.uid === null ? 'any' : String(e.uid), e.rateLimit === null ? 'default' : String(e.rateLimit), e.addedAt]),
      ),
    );
  return 0;
}

export async function allowRemoveCommand(ctx: CliContext, id: number): Promise<number> {
  const e = await withDaemon(ctx, (c) => c.peer.call(Control['allow.remove'], { id }));
  ctx.out(ctx.json ? JSON.stringify(e) : `entry ${e.id} (${e.exePath}) removed`);
  return 0;
}
