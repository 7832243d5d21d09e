// Reading secrets and confirmations: a no-echo prompt on a TTY, or all of stdin for scripts.
import { RaypherError } from '@raypher/shared/errors';

/** Reads one line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    return Promise.reject(new RaypherError('ERR_CLI_INPUT', 'no terminal for a hidden prompt; pipe the value in and pass --from-stdin'));
  }
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new RaypherError('ERR_CLI_INPUT', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** A secret from stdin (--from-stdin) or the hidden prompt; never from the command line. Blank is refused. */
export async function readSecret(fromStdin: boolean, question: string): Promise<string> {
  const value = fromStdin ? await readStdin() : await promptHidden(question);
  if (value.trim() === '') throw new RaypherError('ERR_CLI_INPUT', 'refusing an empty value');
  return value;
}

export async function confirm(question: string, yes: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw new RaypherError('ERR_CLI_INPUT', `${question} needs confirmation; pass --yes when running without a terminal`);
  process.stderr.write(`${question} [y/N] `);
  const answer = await new Promise<string>((resolve) => process.stdin.once('data', (d: Buffer) => resolve(d.toString().trim())));
  process.stdin.pause();
  if (!/^y(es)?$/i.test(answer)) throw new RaypherError('ERR_CLI_INPUT', 'not confirmed');
}
