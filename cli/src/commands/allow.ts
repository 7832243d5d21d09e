// raypherctl allow --exe-path P [...] | allow list | allow rm ID | allow refresh ID.
import { RaypherError } from '@raypher/shared/errors';
import { Control, type AllowEntryInfo, type InterpreterFamily } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';
import { table } from '../output.js';

export interface AllowArgs {
  exePath: string;
  script?: string;
  tree: string[];
  uid?: string;
  name?: string;
  anyScript: boolean;
  inline: boolean;
  allowEnv: string[];
  allowOption: string[];
  interpreter?: InterpreterFamily;
  procFallback: boolean;
  rateLimit?: number;
}

/** --uid: absent (the operator's own, decided by the daemon from the socket peer), a number, or "any". */
function parseUid(uid: string | undefined): { uid: number | null; anyUid: boolean } {
  if (uid === undefined) return { uid: null, anyUid: false };
  if (uid === 'any') return { uid: null, anyUid: true };
  if (!/^\d+$/.test(uid)) throw new RaypherError('ERR_CLI_INPUT', `--uid takes a number or "any", not ${JSON.stringify(uid)}`);
  return { uid: Number(uid), anyUid: false };
}

export async function allowAddCommand(ctx: CliContext, a: AllowArgs): Promise<number> {
  const e = await withDaemon(ctx, (c) =>
    c.call(Control['allow.add'], {
      exePath: a.exePath,
      script: a.script ?? null,
      ...parseUid(a.uid),
      name: a.name ?? null,
      anyScript: a.anyScript,
      inlineCode: a.inline,
      trees: a.tree,
      allowEnv: a.allowEnv,
      allowOptions: a.allowOption,
      procFallback: a.procFallback,
      interpreter: a.interpreter ?? null,
      rateLimit: a.rateLimit ?? null,
    }),
  );
  const what = e.scriptPath ? `, script ${e.scriptPath}` : e.anyScript ? ', any script' : '';
  const trees = e.trees.length > 0 ? `, ${e.treeFiles} files pinned under ${e.trees.join(', ')}` : '';
  ctx.out(ctx.json ? JSON.stringify(e) : `${e.name ?? e.exePath} registered as entry ${e.id} (hash: ${e.exeHash.slice(0, 12)}…${what}${trees}, uid ${e.uid ?? 'any'})${warningLines(e)}`);
  return 0;
}

export async function allowListCommand(ctx: CliContext): Promise<number> {
  const { entries } = await withDaemon(ctx, (c) => c.call(Control['allow.list'], {}));
  if (ctx.json) ctx.out(JSON.stringify(entries));
  else if (entries.length === 0) ctx.out("the allow list is empty: every caller is refused; add one with 'raypherctl allow --exe-path PATH'");
  else
    ctx.out(
      table(
        ['ID', 'NAME', 'EXECUTABLE', 'HASH', 'CODE', 'UID', 'IDENTITY', 'RATE/MIN', 'ADDED'],
        entries.map((e) => [
          String(e.id),
          e.name ?? '-',
          e.exePath,
          `${e.exeHash.slice(0, 12)}…`,
          codeOf(e),
          e.uid === null ? 'ANY (!)' : String(e.uid),
          e.procFallback ? 'exec or /proc' : 'exec',
          e.rateLimit === null ? 'default' : String(e.rateLimit),
          e.addedAt,
        ]),
      ) + entries.map((e) => e.warnings.map((w) => `\n! entry ${e.id}: ${w}`).join('')).join(''),
    );
  return 0;
}

export async function allowRemoveCommand(ctx: CliContext, id: number): Promise<number> {
  const e = await withDaemon(ctx, (c) => c.call(Control['allow.remove'], { id }));
  ctx.out(ctx.json ? JSON.stringify(e) : `entry ${e.id} (${e.exePath}) removed`);
  return 0;
}

export async function allowRefreshCommand(ctx: CliContext, id: number): Promise<number> {
  const e = await withDaemon(ctx, (c) => c.call(Control['allow.refresh'], { id }));
  ctx.out(ctx.json ? JSON.stringify(e) : `entry ${e.id} (${e.exePath}) re-hashed: ${e.treeFiles} pinned files${e.scriptPath ? `, script ${e.scriptPath}` : ''}${warningLines(e)}`);
  return 0;
}

function codeOf(e: AllowEntryInfo): string {
  const parts = [e.scriptPath ?? (e.anyScript ? '(any script)' : e.inlineCode ? '(inline)' : e.family === 'binary' ? '-' : '')];
  if (e.trees.length > 0) parts.push(`tree ${e.trees.join(', ')}${e.codeChanged ? ' CHANGED' : ''}`);
  return parts.filter(Boolean).join('; ') || '-';
}

function warningLines(e: AllowEntryInfo): string {
  return e.warnings.map((w) => `\nwarning: ${w}`).join('');
}
