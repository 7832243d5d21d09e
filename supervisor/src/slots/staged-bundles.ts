// The verified bundles the updater staged under <dataDir>/bundles/, re-checked against their bundle.json before a swap.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { slotComplete } from './boot-plan.js';

export interface StagedBundle {
  /** The slot id: the directory's name. */
  readonly id: string;
  readonly dir: string;
  readonly version: string;
  readonly release_counter: number;
}

interface Manifest {
  version: string;
  release_counter: number;
  files: Record<string, string>;
}

function manifestOf(dir: string): Manifest | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as Partial<Manifest>;
    if (typeof m.version !== 'string' || !Number.isInteger(m.release_counter) || typeof m.files !== 'object' || m.files === null) return null;
    return m as Manifest;
  } catch {
    return null;
  }
}

export function listStaged(bundlesDir: string): StagedBundle[] {
  if (!existsSync(bundlesDir)) return [];
  const out: StagedBundle[] = [];
  for (const name of readdirSync(bundlesDir)) {
    if (name.startsWith('.')) continue;
    const dir = join(bundlesDir, name);
    const m = manifestOf(dir);
    if (m) out.push({ id: name, dir, version: m.version, release_counter: m.release_counter });
  }
  return out.sort((a, b) => b.release_counter - a.release_counter);
}

/** Every file bundle.json lists, with its sha256, and every worker's entry: null when the tree is intact, else the problem. */
export function bundleProblem(dir: string): string | null {
  const m = manifestOf(dir);
  if (!m) return `${dir}/bundle.json is missing or damaged`;
  for (const [path, sha] of Object.entries(m.files)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, path));
    } catch {
      return `${path} is missing from ${dir}`;
    }
    if (createHash('sha256').update(bytes).digest('hex') !== sha) return `${path} in ${dir} does not match its sha256 in bundle.json`;
  }
  return slotComplete(dir) ? null : `${dir} lacks a worker's dist/main.js`;
}
