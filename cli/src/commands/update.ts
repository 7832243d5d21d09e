// raypherctl update status|check|download|pause|resume: the updater's verbs, as a list main.ts mounts under `update`.
import type { Argv } from 'yargs';
import { Control, type UpdateCheckResult, type UpdateStatus } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';
import { box } from '../output.js';

/**
 * One `raypherctl update <verb>`. main.ts mounts every verb of every list (this file's UPDATE_VERBS,
 * the activation verbs of update-slots.ts) in the one `update` command group.
 */
export interface UpdateVerb {
  /** yargs command string: the verb and its positionals, e.g. 'apply [version]'. */
  readonly command: string;
  readonly describe: string;
  readonly builder?: (y: Argv) => Argv;
  /** Returns the exit code; thrown errors are printed by main.ts's action(). */
  readonly run: (ctx: CliContext, argv: Readonly<Record<string, unknown>>) => Promise<number>;
}

const release = (r: { version: string; release_counter: number } | null) => (r === null ? '-' : `${r.version} (release_counter ${r.release_counter})`);

export function renderUpdateStatus(s: UpdateStatus): string {
  const last = s.last_check;
  return box(`updater: ${s.state}${s.paused ? ' (paused)' : ''}`, [
    ['enabled', s.enabled ? `yes (channel ${s.channel}, auto_apply ${s.auto_apply ? 'on' : 'off'})` : 'no ([updater] enabled = false)'],
    ['installed', release(s.installed)],
    ['staged', s.staged === null ? '-' : `${release(s.staged)} since ${s.staged.staged_at}`],
    ['available', release(s.available)],
    ['last check', last === null ? 'never' : `${last.at}: ${last.result}${last.error_code ? ` ${last.error_code}` : ''}${last.alert ? ' ALERT' : ''}: ${last.detail}`],
    ['next check', s.next_check_at ?? '-'],
    ['paused', s.paused ? "yes (raypherctl update resume)" : 'no'],
    ...(s.reason ? ([['reason', s.reason]] as Array<[string, string]>) : []),
  ]);
}

function renderCheck(r: UpdateCheckResult, verb: 'check' | 'download'): string {
  if (r.result === 'up_to_date') return `up to date: newest release ${release(r.available)}${r.staged ? `; staged: ${release(r.staged)}` : ''}`;
  const then = r.handed_over ? 'handed to activation' : verb === 'download' ? 'not activated (download only)' : 'waiting for raypherctl update apply (auto_apply off)';
  return `staged ${release(r.staged)} in ${r.staged?.dir ?? '-'}: ${then}`;
}

export async function updateStatusCommand(ctx: CliContext): Promise<number> {
  const s = await withDaemon(ctx, (c) => c.call(Control['update.status'], {}));
  ctx.out(ctx.json ? JSON.stringify(s) : renderUpdateStatus(s));
  return s.state === 'config_error' || s.state === 'failed' ? 1 : 0;
}

async function checkCommand(ctx: CliContext, verb: 'check' | 'download'): Promise<number> {
  const r = await withDaemon(ctx, (c) => c.call(verb === 'check' ? Control['update.check'] : Control['update.download'], {}));
  ctx.out(ctx.json ? JSON.stringify(r) : renderCheck(r, verb));
  return 0;
}

async function pauseCommand(ctx: CliContext, paused: boolean): Promise<number> {
  const s = await withDaemon(ctx, (c) => c.call(paused ? Control['update.pause'] : Control['update.resume'], {}));
  ctx.out(ctx.json ? JSON.stringify(s) : paused ? 'updates paused: no checks until raypherctl update resume' : `updates resumed; next check ${s.next_check_at ?? 'when [updater] is usable'}`);
  return 0;
}

export const UPDATE_VERBS: readonly UpdateVerb[] = [
  { command: 'status', describe: 'Installed, staged and available releases, state, last and next check', run: (ctx) => updateStatusCommand(ctx) },
  { command: 'check', describe: 'Check the signed feed now (admin); stages what it finds like a scheduled check', run: (ctx) => checkCommand(ctx, 'check') },
  { command: 'download', describe: 'Check and stage now without activating (admin)', run: (ctx) => checkCommand(ctx, 'download') },
  { command: 'pause', describe: 'Stop update checks until resumed (admin)', run: (ctx) => pauseCommand(ctx, true) },
  { command: 'resume', describe: 'Resume update checks (admin)', run: (ctx) => pauseCommand(ctx, false) },
];
