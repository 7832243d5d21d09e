// raypherctl seal | unseal | secrets [rm] | vault status|rotate|init|recover.
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { Control, type VaultStatus } from '@raypher/shared/ipc';
import { withDaemon, type CliContext } from '../context.js';
import { table } from '../output.js';
import { confirm, readSecret } from '../prompt.js';

export async function sealCommand(ctx: CliContext, a: { provider: string; fromStdin: boolean }): Promise<number> {
  const secret = await readSecret(a.fromStdin, `API key for '${a.provider}': `);
  const r = await withDaemon(ctx, (c) => c.call(Control['vault.seal'], { provider: a.provider, secret }));
  ctx.out(ctx.json ? JSON.stringify(r) : `Key sealed for provider '${r.provider}' (${r.fingerprint})${r.created ? '' : ', replacing the previous key'}`);
  return 0;
}

export async function unsealCommand(ctx: CliContext, a: { provider: string; yes: boolean }): Promise<number> {
  await confirm(`Print the key for '${a.provider}' on this terminal?`, a.yes);
  const r = await withDaemon(ctx, (c) => c.call(Control['vault.unseal'], { provider: a.provider, confirm: 'yes' }));
  ctx.out(ctx.json ? JSON.stringify(r) : r.secret);
  return 0;
}

export async function secretsCommand(ctx: CliContext): Promise<number> {
  const { secrets } = await withDaemon(ctx, (c) => c.call(Control['vault.list'], {}));
  if (ctx.json) ctx.out(JSON.stringify(secrets));
  else if (secrets.length === 0) ctx.out("no keys sealed; add one with 'raypherctl seal --provider openai'");
  else ctx.out(table(['PROVIDER', 'FINGERPRINT', 'KEY VERSION', 'CREATED', 'UPDATED'], secrets.map((s) => [s.provider, s.fingerprint, String(s.keyVersion), s.createdAt, s.updatedAt])));
  return 0;
}

export async function secretsRmCommand(ctx: CliContext, a: { provider: string }): Promise<number> {
  await withDaemon(ctx, (c) => c.call(Control['vault.delete'], { provider: a.provider }));
  ctx.out(ctx.json ? JSON.stringify({ provider: a.provider, deleted: true }) : `Key for provider '${a.provider}' deleted`);
  return 0;
}

export async function vaultStatusCommand(ctx: CliContext): Promise<number> {
  const s = await withDaemon(ctx, (c) => c.call(Control['vault.status'], {}));
  ctx.out(ctx.json ? JSON.stringify(s) : renderVaultStatus(s));
  return s.state === 'unlocked' ? 0 : 1;
}

function renderVaultStatus(s: VaultStatus): string {
  const lines = [
    `state:        ${s.state}`,
    `protector:    ${s.protector ?? 'none'} (configured: ${s.configuredProtector})`,
    `TPM:          ${s.tpmPresent ? 'present' : 'not found'} (tcti ${s.tcti}${s.pcrs ? `, PCR policy ${s.pcrs}` : ''})`,
    `key version:  ${s.keyVersion}`,
    `sealed keys:  ${s.sealedKeys}`,
    `recovery key: ${s.recoveryConfigured ? 'set up' : "not set up (raypherctl vault init --recovery-key)"}`,
  ];
  if (s.lastError) lines.push(`error:        ${s.lastError.code}: ${s.lastError.message}`);
  return lines.join('\n');
}

export async function vaultRotateCommand(ctx: CliContext): Promise<number> {
  const r = await withDaemon(ctx, (c) => c.call(Control['vault.rotate'], {}));
  ctx.out(ctx.json ? JSON.stringify(r) : `Data key rotated to version ${r.keyVersion}; ${r.reencrypted} keys re-encrypted`);
  return 0;
}

export async function vaultInitCommand(ctx: CliContext, a: { recoveryKey: boolean; recoveryKeyFile?: string; replace: boolean }): Promise<number> {
  if (!a.recoveryKey && !a.recoveryKeyFile) {
    ctx.out('The vault is initialized when Raypher first starts. Use --recovery-key (print it) or --recovery-key-file FILE to set up a recovery key.');
    return 0;
  }
  const { recoveryKey } = await withDaemon(ctx, (c) => c.call(Control['vault.initRecovery'], { replace: a.replace }));
  if (a.recoveryKeyFile) {
    const fd = openSync(a.recoveryKeyFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    writeSync(fd, `${recoveryKey}\n`);
    closeSync(fd);
    ctx.out(ctx.json ? JSON.stringify({ recoveryKeyFile: a.recoveryKeyFile }) : `Recovery key written to ${a.recoveryKeyFile} (mode 600). Store it offline; it is not kept anywhere else.`);
  } else {
    ctx.out(ctx.json ? JSON.stringify({ recoveryKey }) : `Recovery key (shown once; store it offline):\n\n  ${recoveryKey}\n\nIt can re-wrap the vault's data key if the TPM or its PCR values change.`);
  }
  return 0;
}

export async function vaultRecoverCommand(ctx: CliContext, a: { file?: string; fromStdin: boolean }): Promise<number> {
  const recoveryKey = a.file ? readFileSync(a.file, 'utf8').trim() : await readSecret(a.fromStdin, 'Recovery key: ');
  const r = await withDaemon(ctx, (c) => c.call(Control['vault.recover'], { recoveryKey }));
  ctx.out(ctx.json ? JSON.stringify(r) : `Vault recovered: data key re-wrapped with protector ${r.protector} (key version ${r.keyVersion})`);
  return 0;
}
