// raypherctl config check [FILE] | config example | reload.
import { loadConfigFile, renderExampleConfig } from '@raypher/shared/config';
import { Control } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';

export function configCheckCommand(ctx: CliContext, file: string | undefined): number {
  const path = file ?? ctx.paths.configFile;
  loadConfigFile(path, { required: true });
  ctx.out(ctx.json ? JSON.stringify({ file: path, ok: true }) : `config OK: ${path}`);
  return 0;
}

export function configExampleCommand(ctx: CliContext): number {
  ctx.out(renderExampleConfig());
  return 0;
}

export async function reloadCommand(ctx: CliContext): Promise<number> {
  const result = await withDaemon(ctx, (c) => c.call(Control['config.reload'], {}));
  if (ctx.json) {
    ctx.out(JSON.stringify(result));
    return 0;
  }
  ctx.out(result.applied.length ? `applied: ${result.applied.join(', ')}` : 'no live setting changed');
  if (result.requiresRestart.length) ctx.out(`needs a restart of raypher to take effect: ${result.requiresRestart.join(', ')}`);
  return 0;
}
