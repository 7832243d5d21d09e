// raypherctl: the operator CLI. Talks to the supervisor over the control socket; exit codes 0/1/2/3.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { readEnv } from '@raypher/shared/config';
import { isRaypherError, RaypherError } from '@raypher/shared/errors';
import { redactString } from '@raypher/shared/logging';
import { INTERPRETER_FAMILIES, WORKER_NAMES, type WorkerName } from '@raypher/shared/ipc';
import { PROVIDER_PATTERN, USAGE_GROUPS, type UsageGroup } from '@raypher/shared/vocab';
import { readVersion } from '@raypher/shared/version';
import { auditExportCommand, auditVerifyCommand } from './commands/audit.js';
import { configCheckCommand, configExampleCommand, reloadCommand } from './commands/config.js';
import { healthCommand } from './commands/health.js';
import { logsCommand } from './commands/logs.js';
import { statusCommand } from './commands/status.js';
import { UPDATE_VERBS, type UpdateVerb } from './commands/update.js';
import { usageCommand } from './commands/usage.js';
import { versionCommand } from './commands/version.js';
import { workerCommand } from './commands/workers.js';
import { UPDATE_SLOT_VERBS } from './commands/update-slots.js';
import { panicEngageCommand, panicReleaseCommand, panicStatusCommand } from './commands/panic.js';
import { allowAddCommand, allowListCommand, allowRefreshCommand, allowRemoveCommand, type AllowArgs } from './commands/allow.js';
import { sealCommand, secretsCommand, secretsRmCommand, unsealCommand, vaultInitCommand, vaultRecoverCommand, vaultRotateCommand, vaultStatusCommand } from './commands/vault.js';
import { agentsCommand, scanCommand } from './commands/agents.js';
import { findingsAckCommand, findingsCommand } from './commands/findings.js';
import { terminatorCommand } from './commands/terminator.js';
import { cliPaths, EXIT, exitCodeFor, type CliContext } from './context.js';

interface GlobalArgs {
  home?: string;
  json: boolean;
}

const env = readEnv();

function context(argv: GlobalArgs): CliContext {
  return {
    env,
    paths: cliPaths(env, argv.home, process.getuid?.() ?? 0),
    json: argv.json,
    color: process.stdout.isTTY === true && env.NO_COLOR === undefined,
    version: readVersion(),
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
  };
}

/** Runs a command and turns its outcome into the process exit code; errors name their code and the fix. */
function action<A extends GlobalArgs>(fn: (ctx: CliContext, argv: A) => Promise<number> | number) {
  return async (raw: object) => {
    const argv = raw as A;
    const ctx = context(argv);
    try {
      process.exitCode = await fn(ctx, argv);
    } catch (err) {
      const code = isRaypherError(err) ? err.code : 'ERR_INTERNAL_UNEXPECTED';
      const message = (err as Error).message;
      if (ctx.json) ctx.err(JSON.stringify({ error: { code, message } }));
      else ctx.err(`raypherctl: ${code}: ${message}`);
      process.exitCode = exitCodeFor(err);
    }
  };
}

/** Every `raypherctl update <verb>`: each file of update verbs adds its list here. */
const UPDATE_COMMANDS: readonly UpdateVerb[] = [...UPDATE_VERBS, ...UPDATE_SLOT_VERBS];

/** Mounts a list of verbs as subcommands of one command group. */
function mountVerbs(y: Argv<GlobalArgs>, verbs: readonly UpdateVerb[]): Argv<GlobalArgs> {
  return verbs.reduce((yy, v) => yy.command(v.command, v.describe, (b) => v.builder?.(b) ?? b, action((ctx, a: GlobalArgs & Record<string, unknown>) => v.run(ctx, a))), y);
}

const provider = { type: 'string', demandOption: true, describe: 'Provider name ([a-z0-9_-], up to 64)' } as const;
const pid = (y: Argv<GlobalArgs>) => y.positional('pid', { type: 'number', demandOption: true, describe: 'process id' });
const worker = (y: Argv<GlobalArgs>) => y.positional('worker', { choices: WORKER_NAMES, demandOption: true, describe: 'worker name' });

await yargs(hideBin(process.argv))
  .scriptName('raypherctl')
  .option('home', { type: 'string', global: true, describe: 'Raypher home of the daemon (default: RAYPHER_HOME, ~/.raypher, or the system paths)' })
  .option('json', { type: 'boolean', global: true, default: false, describe: 'Machine-readable output' })
  .command('status', 'Service state and one row per worker', {}, action((ctx) => statusCommand(ctx)))
  .command('restart <worker>', 'Restart one worker', worker, action((ctx, a: GlobalArgs & { worker: WorkerName }) => workerCommand(ctx, 'restart', a.worker)))
  .command('stop <worker>', 'Stop one worker (it stays stopped until start)', worker, action((ctx, a: GlobalArgs & { worker: WorkerName }) => workerCommand(ctx, 'stop', a.worker)))
  .command('start <worker>', 'Start a stopped or failed worker', worker, action((ctx, a: GlobalArgs & { worker: WorkerName }) => workerCommand(ctx, 'start', a.worker)))
  .command(
    'logs [process]',
    'Show the newest log lines of a process',
    (y) =>
      y
        .positional('process', { choices: ['supervisor', ...WORKER_NAMES], default: 'supervisor' })
        .option('f', { alias: 'follow', type: 'boolean', default: false, describe: 'Keep printing new lines' })
        .option('n', { alias: 'lines', type: 'number', default: 50, describe: 'How many lines' }),
    action((ctx, a: GlobalArgs & { process: string; f: boolean; n: number }) => logsCommand(ctx, { process: a.process, follow: a.f, lines: a.n })),
  )
  .command('health', 'The /health report (exit 1 unless healthy)', {}, action((ctx) => healthCommand(ctx)))
  .command('config', 'Check or show configuration', (y) =>
    y
      .command('check [file]', 'Validate a config file (default: the daemon’s)', (yy) => yy.positional('file', { type: 'string' }), action((ctx, a: GlobalArgs & { file?: string }) => configCheckCommand(ctx, a.file)))
      .command('example', 'Print a config with every key, its default and its doc', {}, action((ctx) => configExampleCommand(ctx)))
      .demandCommand(1, 'name a config command: check or example'),
  )
  .command('reload', 'Re-read the config file and apply what can change live', {}, action((ctx) => reloadCommand(ctx)))
  .command('audit', 'Audit ledger tools', (y) =>
    y
      .command(
        'verify',
        'Recompute the hash chain and check every signed checkpoint; names the first broken row or checkpoint',
        (yy) =>
          yy
            .option('from', { type: 'string', describe: 'Verify an export file (raypherctl audit export) instead of the database' })
            .option('public-key', { type: 'string', describe: 'The checkpoint public key (PEM) kept elsewhere' })
            .option('max-age', { type: 'number', describe: 'Fail when the newest signed checkpoint is older than this many seconds' }),
        action((ctx, a: GlobalArgs & { from?: string; publicKey?: string; maxAge?: number }) => auditVerifyCommand(ctx, { from: a.from, publicKey: a.publicKey, maxAge: a.maxAge })),
      )
      .command('export', 'Write rows, checkpoints and the public key as JSON lines, for off-machine storage', (yy) => yy.option('out', { type: 'string', describe: 'File to write (default: stdout)' }), action((ctx, a: GlobalArgs & { out?: string }) => auditExportCommand(ctx, { out: a.out })))
      .demandCommand(1, 'name an audit command: verify or export'),
  )
  .command('version', 'CLI and daemon versions', {}, action((ctx) => versionCommand(ctx)))
  .command(
    'seal',
    'Seal a provider API key into the vault (hidden prompt, or --from-stdin)',
    (y) => y.option('provider', provider).option('from-stdin', { type: 'boolean', default: false, describe: 'Read the key from stdin instead of a prompt' }),
    action((ctx, a: GlobalArgs & { provider: string; fromStdin: boolean }) => sealCommand(ctx, a)),
  )
  .command(
    'unseal',
    'Print a sealed key (admin; asks for confirmation; audited)',
    (y) => y.option('provider', provider).option('yes', { type: 'boolean', default: false, describe: 'Do not ask for confirmation' }),
    action((ctx, a: GlobalArgs & { provider: string; yes: boolean }) => unsealCommand(ctx, a)),
  )
  .command('secrets', 'List sealed keys (provider, fingerprint, dates; never the value)', (y) =>
    y.command('rm', 'Delete a sealed key', (yy) => yy.option('provider', provider), action((ctx, a: GlobalArgs & { provider: string }) => secretsRmCommand(ctx, a))),
    action((ctx) => secretsCommand(ctx)),
  )
  .command(
    'allow',
    'Allow a program to use the proxy (allow --exe-path P [--script S | --tree DIR] [--uid U|any] [--name N]); allow list; allow rm ID; allow refresh ID',
    (y) =>
      y
        .command('list', 'Show the allow list', {}, action((ctx) => allowListCommand(ctx)))
        .command('rm <id>', 'Remove an entry', (yy) => yy.positional('id', { type: 'number', demandOption: true }), action((ctx, a: GlobalArgs & { id: number }) => allowRemoveCommand(ctx, a.id)))
        .command('refresh <id>', 'Re-hash an entry’s script and pinned trees after a change you checked', (yy) => yy.positional('id', { type: 'number', demandOption: true }), action((ctx, a: GlobalArgs & { id: number }) => allowRefreshCommand(ctx, a.id)))
        .option('exe-path', { type: 'string', describe: 'The program (binary or interpreter) that calls the proxy' })
        .option('script', { type: 'string', describe: 'For an interpreter: the one script it may run' })
        .option('tree', { type: 'string', array: true, default: [], describe: 'Pin every file under this directory (repeatable); a change denies the entry until allow refresh. Without --script: any script inside it' })
        .option('any-script', { type: 'boolean', default: false, describe: 'For an interpreter: any script file' })
        .option('inline', { type: 'boolean', default: false, describe: 'For an interpreter: also inline code (-c, -e, -m, stdin)' })
        .option('uid', { type: 'string', describe: 'Only when run by this uid (default: yours); "any" for every user' })
        .option('allow-env', { type: 'string', array: true, default: [], describe: 'Accept this code-injection variable (LD_LIBRARY_PATH, PYTHONPATH, ...) in the caller’s environment (repeatable)' })
        .option('allow-option', { type: 'string', array: true, default: [], describe: 'Accept this interpreter option that Raypher does not know (repeatable); options that run code are never accepted' })
        .option('interpreter', { type: 'string', choices: [...INTERPRETER_FAMILIES], describe: 'The interpreter grammar, when the file name does not tell (default: from the name)' })
        .option('proc-fallback', { type: 'boolean', default: false, describe: 'Also accept callers known only from /proc (started before Raypher, or no exec ledger: not root). Weaker: see docs/security.md' })
        .option('name', { type: 'string', describe: 'A friendly name' })
        .option('rate-limit', { type: 'number', describe: 'Requests per minute for this entry (default: [proxy] rate_limit)' }),
    action((ctx, a: GlobalArgs & AllowArgs) => {
      if (!a.exePath) throw new RaypherError('ERR_CLI_INPUT', 'give --exe-path PATH, or use allow list / allow rm ID');
      return allowAddCommand(ctx, a);
    }),
  )
  .command(
    'panic',
    'Engage panic mode: the proxy answers 503 to everyone and drops its keys (panic [--reason R]); panic release; panic status',
    (y) =>
      y
        .command('release', 'Leave panic mode', {}, action((ctx) => panicReleaseCommand(ctx)))
        .command('status', 'Whether panic mode is engaged, since when and by whom', {}, action((ctx) => panicStatusCommand(ctx)))
        .option('reason', { type: 'string', describe: 'Why, for the audit log' }),
    action((ctx, a: GlobalArgs & { reason?: string }) => panicEngageCommand(ctx, a.reason)),
  )
  .command(
    'usage',
    'Requests, tokens and estimated cost per agent (allow-list entry), provider, model or day, from the audit rows',
    (y) =>
      y
        .option('by', { choices: USAGE_GROUPS, default: 'agent' as UsageGroup, describe: 'Group by' })
        .option('since', { type: 'string', default: '24h', describe: 'How far back: 30m, 24h, 7d, 2w' }),
    action((ctx, a: GlobalArgs & { by: UsageGroup; since: string }) => usageCommand(ctx, { by: a.by, since: a.since })),
  )
  .command('agents', 'AI agents the scanner found: pid, name, risk, reasons, allow-listed, via the proxy', {}, action((ctx) => agentsCommand(ctx)))
  .command('scan', 'Run a scanner pass now and print its result and time', {}, action((ctx) => scanCommand(ctx)))
  .command(
    'findings',
    'Open scanner findings (keys exposed, proxy bypass, unlisted agents); findings --all; findings ack ID',
    (y) =>
      y
        .command('ack <id>', 'Acknowledge a finding', (yy) => yy.positional('id', { type: 'number', demandOption: true }), action((ctx, a: GlobalArgs & { id: number }) => findingsAckCommand(ctx, a.id)))
        .option('all', { type: 'boolean', default: false, describe: 'Include resolved findings' }),
    action((ctx, a: GlobalArgs & { all: boolean }) => findingsCommand(ctx, a.all)),
  )
  .command('kill <pid>', 'Kill a process (SIGKILL; never a protected one)', pid, action((ctx, a: GlobalArgs & { pid: number }) => terminatorCommand(ctx, 'kill', a.pid)))
  .command('suspend <pid>', 'Suspend a process (SIGSTOP; never a protected one)', pid, action((ctx, a: GlobalArgs & { pid: number }) => terminatorCommand(ctx, 'suspend', a.pid)))
  .command('resume <pid>', 'Resume a suspended process (SIGCONT)', pid, action((ctx, a: GlobalArgs & { pid: number }) => terminatorCommand(ctx, 'resume', a.pid)))
  .command('vault', 'Vault status, key rotation and recovery', (y) =>
    y
      .command('status', 'Protector, TPM, key version, lock state', {}, action((ctx) => vaultStatusCommand(ctx)))
      .command('rotate', 'New data key; re-encrypt every key in one transaction', {}, action((ctx) => vaultRotateCommand(ctx)))
      .command(
        'init',
        'Set up a recovery key (printed once, or written to a file)',
        (yy) =>
          yy
            .option('recovery-key', { type: 'boolean', default: false, describe: 'Make a recovery key and print it once' })
            .option('recovery-key-file', { type: 'string', describe: 'Write the recovery key to this new file (mode 600) instead' })
            .option('replace', { type: 'boolean', default: false, describe: 'Replace an existing recovery key' }),
        action((ctx, a: GlobalArgs & { recoveryKey: boolean; recoveryKeyFile?: string; replace: boolean }) => vaultInitCommand(ctx, a)),
      )
      .command(
        'recover',
        'Re-wrap the data key with the recovery key (after a PCR or TPM change)',
        (yy) => yy.option('file', { type: 'string', describe: 'Read the recovery key from this file' }).option('from-stdin', { type: 'boolean', default: false }),
        action((ctx, a: GlobalArgs & { file?: string; fromStdin: boolean }) => vaultRecoverCommand(ctx, a)),
      )
      .demandCommand(1, 'name a vault command: status, rotate, init or recover'),
  )
  .command('update', 'Signed worker updates: update status|check|download|pause|resume|apply|rollback|slots', (y) =>
    mountVerbs(y, UPDATE_COMMANDS).demandCommand(1, `name an update command: ${UPDATE_COMMANDS.map((v) => v.command.split(' ')[0]).join(', ')}`),
  )
  .demandCommand(1, 'name a command')
  .check((argv) => {
    if (typeof argv.provider === 'string' && !PROVIDER_PATTERN.test(argv.provider)) throw new Error(`--provider '${argv.provider}' is not a valid provider name: use 1-64 of a-z, 0-9, _ and -`);
    return true;
  })
  .strict()
  .fail((msg, err) => {
    // Command failures are handled in action(); anything reaching here is a usage or validation error.
    // Redacted: a key typed as an argument by mistake must not be echoed back ("Unknown argument: sk-...").
    process.stderr.write(`raypherctl: ${redactString(msg ?? err?.message ?? 'usage error')}\nRun 'raypherctl --help' for usage.\n`);
    process.exit(EXIT.usage);
  })
  .help()
  .parseAsync();
