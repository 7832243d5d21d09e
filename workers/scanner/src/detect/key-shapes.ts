// Provider-key-shaped values in a process environment (/proc/<pid>/environ): the variable name and provider, never the value past this file.
import type { ProcFileReader } from '../inventory/proc-file.js';

/** Checked in order: the first shape that fits names the provider. */
const KEY_SHAPES: ReadonlyArray<{ provider: string; shape: RegExp }> = [
  { provider: 'anthropic', shape: /^sk-ant-[A-Za-z0-9_-]{20,}$/ },
  { provider: 'openai', shape: /^sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}$/ },
  { provider: 'google', shape: /^AIza[0-9A-Za-z_-]{30,}$/ },
  { provider: 'groq', shape: /^gsk_[A-Za-z0-9]{20,}$/ },
];

/** An environment variable holding a key: `value` is for fingerprinting only and is dropped right after. */
export interface ExposedKey {
  readonly variable: string;
  readonly provider: string;
  readonly value: string;
}

export function keysInEnviron(raw: string): ExposedKey[] {
  const out: ExposedKey[] = [];
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const value = entry.slice(eq + 1).trim();
    if (value.length < 20 || value.length > 512) continue;
    const hit = KEY_SHAPES.find((k) => k.shape.test(value));
    if (hit) out.push({ variable: entry.slice(0, eq).slice(0, 128), provider: hit.provider, value });
  }
  return out;
}

/** Environments past this are cut (the kernel caps argv + environ at ARG_MAX, 2 MiB by default). */
const ENVIRON_MAX_BYTES = 4 * 1024 * 1024;

/** null when the environment cannot be read (another user's process, or it exited). */
export function readEnviron(pid: number, files: ProcFileReader, root = '/proc'): string | null {
  return files.read(`${root}/${pid}/environ`, 'utf8', ENVIRON_MAX_BYTES);
}
