// Runs a command to completion for the install tests; a child that exits before reading its stdin is not an error
// here (installers and scripts that refuse early do exactly that).
import { spawn, type SpawnOptions } from 'node:child_process';

export interface ProcResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function proc(cmd: string, args: string[], options: SpawnOptions = {}, input = ''): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    p.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    p.stdin?.on('error', () => undefined);
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin?.end(input);
  });
}
