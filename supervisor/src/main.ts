// `raypher`: the service entry point. Parses the command line, wires the supervisor, handles signals.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { readEnv } from '@raypher/shared/config';
import { isRaypherError } from '@raypher/shared/errors';
import { resolvePaths } from '@raypher/shared/paths';
import { readVersion } from '@raypher/shared/version';
import { Supervisor } from './supervisor.js';

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

async function run(args: { home?: string; config?: string; foreground: boolean }): Promise<void> {
  const env = readEnv();
  const paths = resolvePaths({ homeFlag: args.home, env, uid: process.getuid?.() ?? 0 });
  const version = readVersion();
  let supervisor: Supervisor;
  try {
    supervisor = await Supervisor.start({
      paths,
      configFile: args.config ?? paths.configFile,
      configRequired: args.config !== undefined,
      env,
      foreground: args.foreground,
      version,
    });
  } catch (err) {
    const code = isRaypherError(err) ? err.code : 'ERR_INTERNAL_UNEXPECTED';
    process.stderr.write(`raypher: cannot start: ${code}: ${(err as Error).message}\n`);
    process.exit(EXIT.failed);
  }
  const stop = (signal: string) => {
    void supervisor.stop(signal).then(() => process.exit(EXIT.ok));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    supervisor.reload().catch((err: unknown) => process.stderr.write(`raypher: reload failed: ${(err as Error).message}\n`));
  });
  if (args.foreground) process.stdout.write(`raypher ${version} running (pid ${process.pid}, ${paths.mode} mode); stop with Ctrl-C\n`);
}

await yargs(hideBin(process.argv))
  .scriptName('raypher')
  .command(
    'run',
    'Run the supervisor and its workers (what the OS service manager starts)',
    (y) =>
      y
        .option('home', { type: 'string', describe: 'Raypher home directory (overrides RAYPHER_HOME and the defaults)' })
        .option('config', { type: 'string', describe: 'Config file (default: <home>/config.toml or /etc/raypher/config.toml)' })
        .option('foreground', { type: 'boolean', default: false, describe: 'Also log to stdout' }),
    (argv) => run(argv),
  )
  .command('version', 'Print the version', {}, () => {
    process.stdout.write(`${readVersion()}\n`);
  })
  .demandCommand(1, 'name a command: run or version')
  .strict()
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`raypher: ${msg}\nRun 'raypher --help' for usage.\n`);
    process.exit(EXIT.usage);
  })
  .help()
  .parseAsync();
