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

/** A token as providers issue them: one word of URL/base64 characters with letters and digits (not a path, not a sentence). */
const TOKEN = /^(?=[^\d]*\d)(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9._~+/=-]{20,512}$/;
/** The variables a configured provider's key is expected in: <NAME>_API_KEY for a provider named "name", and the like. */
const PROVIDER_VARIABLES = ['_API_KEY', '_KEY', '_API_TOKEN', '_TOKEN'];

/** The built-in key shapes plus the [[proxy.providers]]: a token in a variable named for the provider (MISTRAL_API_KEY). */
export class KeyShapes {
  private readonly byVariable = new Map<string, string>();

  constructor(providers: ReadonlyArray<{ readonly name: string }> = []) {
    for (const p of providers) {
      const stem = p.name.toUpperCase().replace(/-/g, '_');
      for (const suffix of PROVIDER_VARIABLES) this.byVariable.set(stem + suffix, p.name);
    }
  }

  /** The provider a variable's value is the key of, or null. */
  providerOf(variable: string, value: string): string | null {
    const builtin = KEY_SHAPES.find((k) => k.shape.test(value));
    if (builtin) return builtin.provider;
    const configured = this.byVariable.get(variable);
    return configured !== undefined && TOKEN.test(value) ? configured : null;
  }

  keysIn(raw: string): ExposedKey[] {
    const out: ExposedKey[] = [];
    for (const entry of raw.split('\0')) {
      const eq = entry.indexOf('=');
      if (eq <= 0) continue;
      const value = entry.slice(eq + 1).trim();
      if (value.length < 20 || value.length > 512) continue;
      const variable = entry.slice(0, eq).slice(0, 128);
      const provider = this.providerOf(variable, value);
      if (provider) out.push({ variable, provider, value });
    }
    return out;
  }
}

/** The built-in shapes only. */
export function keysInEnviron(raw: string): ExposedKey[] {
  return new KeyShapes().keysIn(raw);
}

/** Environments past this are cut (the kernel caps argv + environ at ARG_MAX, 2 MiB by default). */
const ENVIRON_MAX_BYTES = 4 * 1024 * 1024;

/** null when the environment cannot be read (another user's process, or it exited). */
export function readEnviron(pid: number, files: ProcFileReader, root = '/proc'): string | null {
  return files.read(`${root}/${pid}/environ`, 'utf8', ENVIRON_MAX_BYTES);
}
