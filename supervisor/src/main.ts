// `raypher`: the service entry point. Parses the command line, wires the supervisor, handles signals.
import { parseArgs } from 'node:util';
import { readEnv } from '@raypher/shared/config';
import { isRaypherError } from '@raypher/shared/errors';
import { resolvePaths } from '@raypher/shared/paths';
import { readVersion } from '@raypher/shared/version';
import { startSupervisor } from './boot.js';
import type { Supervisor } from './supervisor.js';

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

async function run(args: { home?: string; config?: string; foreground: boolean }): Promise<void> {
  const env = readEnv();
  const paths = resolvePaths({ homeFlag: args.home, env, uid: process.getuid?.() ?? 0 });
  const version = readVersion();
  let supervisor: Supervisor;
  try {
    supervisor = await startSupervisor({
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

const USAGE = `Usage: raypher run [--home DIR] [--config FILE] [--foreground]
       raypher version

  run        Run the supervisor and its workers (what the OS service manager starts)
  version    Print the version

  --home DIR      Raypher home directory (overrides RAYPHER_HOME and the defaults)
  --config FILE   Config file (default: <home>/config.toml or /etc/raypher/config.toml)
  --foreground    Also log to stdout
`;

/** util.parseArgs rather than yargs: three flags, and yargs costs ~14 MB RSS in the supervisor (docs/benchmarks.md). */
function parseCommandLine(argv: string[]): { command: string; home?: string; config?: string; foreground: boolean; help: boolean } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { home: { type: 'string' }, config: { type: 'string' }, foreground: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  return { command: positionals[0] ?? '', home: values.home, config: values.config, foreground: values.foreground ?? false, help: values.help ?? false };
}

let cli: ReturnType<typeof parseCommandLine>;
try {
  cli = parseCommandLine(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`raypher: ${(err as Error).message}\nRun 'raypher --help' for usage.\n`);
  process.exit(EXIT.usage);
}
if (cli.help) {
  process.stdout.write(USAGE);
} else if (cli.command === 'run') {
  await run(cli);
} else if (cli.command === 'version') {
  process.stdout.write(`${readVersion()}\n`);
} else {
  process.stderr.write(`raypher: ${cli.command ? `unknown command '${cli.command}'` : 'name a command: run or version'}\n\n${USAGE}`);
  process.exit(EXIT.usage);
}
