// Shared pieces of the vault tests: a canary key, hashing instead of printing, and a direct control client.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connectControl, type ControlClient } from '@raypher/shared/ipc';
import { ctl, type CtlResult } from '../helpers/daemon.js';

/** A key-shaped canary; tests compare hashes so a failing assertion never prints it. */
export function canary(): string {
  return `sk-canary-${randomBytes(18).toString('hex')}`;
}

export const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export async function seal(home: string, provider: string, secret: string): Promise<CtlResult> {
  return ctl(home, ['seal', '--provider', provider, '--from-stdin'], {}, secret);
}

/** The unsealed value's hash, or the error code raypherctl reported. */
export async function unsealHash(home: string, provider: string): Promise<string> {
  const r = await ctl(home, ['unseal', '--provider', provider, '--yes', '--json']);
  if (r.code !== 0) return (JSON.parse(r.stderr) as { error: { code: string } }).error.code;
  return sha((JSON.parse(r.stdout) as { secret: string }).secret);
}

export async function control(home: string): Promise<ControlClient> {
  return connectControl(join(home, 'run', 'control.sock'), { name: 'test', version: '0' });
}

/** Every file under dir whose bytes contain needle (logs, databases, WAL, sockets skipped). */
export function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && readFileSync(p).includes(Buffer.from(needle))) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}
