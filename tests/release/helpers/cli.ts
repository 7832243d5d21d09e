// Runs the built raypher-release as a real process (CI runs npm run build before jest).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(CHECKOUT, 'ops', 'release', 'bin', 'raypher-release.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function releaseCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

export async function releaseJson(args: readonly string[], env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const r = await releaseCli([...args, '--json'], env);
  if (r.code !== 0) throw new Error(`raypher-release ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
