// Matches a process against the signature table: a known agent by name or package path, or an interpreter running a script that imports an agent framework.
import { basename, isAbsolute, resolve } from 'node:path';
import { ProcFileReader } from '../inventory/proc-file.js';
import type { ProcessInfo } from '../inventory/proc-inventory.js';
import type { SignatureTable } from './signatures.js';

/** At most this much of a script is read to look for imports. */
export const SCRIPT_READ_BYTES = 64 * 1024;

export interface AgentMatch {
  /** The signature's id, or 'framework:<id>[,<id>]' for a script. */
  readonly id: string;
  readonly name: string;
  readonly reasons: readonly string[];
}

type Family = 'python' | 'node';

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export class Detector {
  private readonly byName = new Map<string, SignatureTable['agents'][number]>();
  private readonly families = new Map<string, Family>();
  private readonly imports: Array<{ id: string; name: string; python: RegExp | null; node: RegExp | null }>;
  /** One buffer for every script head (a pass may read many: each new interpreter process). */
  private readonly files = new ProcFileReader();

  constructor(private readonly table: SignatureTable) {
    for (const a of table.agents) for (const n of a.names) this.byName.set(n, a);
    for (const n of table.interpreters.python) this.families.set(n, 'python');
    for (const n of table.interpreters.node) this.families.set(n, 'node');
    this.imports = table.frameworks.map((f) => ({
      id: f.id,
      name: f.name,
      python: f.python.length ? new RegExp(`^\\s*(?:import|from)\\s+(?:${f.python.map(escape).join('|')})(?:[\\s.,]|$)`, 'm') : null,
      node: f.node.length ? new RegExp(`(?:require\\(\\s*|from\\s+|import\\s*\\(?\\s*)['"](?:${f.node.map(escape).join('|')})(?:/[^'"]*)?['"]`) : null,
    }));
  }

  match(p: ProcessInfo): AgentMatch | null {
    if (p.kernelThread || p.cmdline.length === 0) return null;
    const argv0 = basename(p.cmdline[0] ?? '');
    const exeName = p.exe ? basename(p.exe) : '';
    for (const [what, n] of [['argv[0]', argv0], ['executable', exeName]] as const) {
      const a = this.byName.get(n);
      if (a) return { id: a.id, name: a.name, reasons: [`${what} is '${n}' (signature ${a.id})`] };
    }
    for (const a of this.table.agents) {
      const hit = a.argv.find((s) => p.cmdline.some((arg) => arg.includes(s)));
      if (hit) return { id: a.id, name: a.name, reasons: [`command line contains '${hit}' (signature ${a.id})`] };
    }
    const family = this.familyOf(p);
    return family ? this.matchScript(p, family) : null;
  }

  private familyOf(p: ProcessInfo): Family | undefined {
    const exeName = p.exe ? basename(p.exe) : '';
    return this.families.get(exeName.replace(/[\d.]+$/, '')) ?? this.families.get(exeName) ?? this.families.get(basename(p.cmdline[0] ?? ''));
  }

  /** The script an interpreter process runs, as an absolute path; null for a native program, inline code or no script. */
  scriptOf(p: ProcessInfo): string | null {
    const family = this.familyOf(p);
    const script = family ? scriptArg(p.cmdline, family) : null;
    return script ? absolute(p, script) : null;
  }

  private matchScript(p: ProcessInfo, family: Family): AgentMatch | null {
    const script = scriptArg(p.cmdline, family);
    if (!script) return null;
    const path = absolute(p, script);
    const head = path ? this.files.read(path, 'utf8', SCRIPT_READ_BYTES) : null;
    if (head === null) return null;
    const found = this.imports.filter((f) => (family === 'python' ? f.python : f.node)?.test(head));
    if (found.length === 0) return null;
    return {
      id: `framework:${found.map((f) => f.id).join(',')}`,
      name: `${basename(script)} (${found.map((f) => f.name).join(', ')})`,
      reasons: found.map((f) => `${family} script ${path} imports ${f.name}`),
    };
  }
}

/** A script argument resolved against the process's cwd; null when a relative path has no cwd to resolve against. */
function absolute(p: ProcessInfo, script: string): string | null {
  return isAbsolute(script) ? script : p.cwd ? resolve(p.cwd, script) : null;
}

/** The script an interpreter runs: its first argument that is not an option (options with a value skip it). */
export function scriptArg(argv: readonly string[], family: Family): string | null {
  const withValue = family === 'python' ? new Set(['-W', '-X', '-Q']) : new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '--env-file']);
  const inline = family === 'python' ? new Set(['-c', '-m']) : new Set(['-e', '--eval', '-p', '--print']);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (inline.has(a)) return null;
    if (withValue.has(a)) {
      i++;
      continue;
    }
    if (a === '--') return argv[i + 1] ?? null;
    if (!a.startsWith('-')) return a;
  }
  return null;
}
