// Starts real supervisors in temp homes and drives them with the real raypherctl, for cross-process tests.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Db } from '@raypher/shared/db';
import type { StatusResult, WorkerName } from '@raypher/shared/ipc';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const RAYPHER_BIN = join(REPO, 'supervisor', 'bin', 'raypher.js');
export const CTL_BIN = join(REPO, 'cli', 'bin', 'raypherctl.js');

export type ConfigTables = Record<string, Record<string, string | number | boolean>>;

/** Test defaults: a free health port and quick timings (still the real mechanisms). */
export const TEST_CONFIG: ConfigTables = {
  health: { listen_port: 0 },
  proxy: { listen_port: 0 },
  supervisor: { kill_timeout_ms: 2000, drain_timeout_ms: 1000 },
};

export function renderToml(tables: ConfigTables): string {
  return Object.entries(tables)
    .map(([section, keys]) => `[${section}]\n${Object.entries(keys).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n')}\n`)
    .join('\n');
}

export function mergeConfig(...parts: ConfigTables[]): ConfigTables {
  const out: ConfigTables = {};
  for (const part of parts) for (const [s, keys] of Object.entries(part)) out[s] = { ...(out[s] ?? {}), ...keys };
  return out;
}

export function makeHome(config: ConfigTables = {}): string {
  const home = mkdtempSync(join(tmpdir(), 'raypher-test-'));
  writeFileSync(join(home, 'config.toml'), renderToml(mergeConfig(TEST_CONFIG, config)));
  return home;
}

export type Fixture = 'worker-hang' | 'worker-crash-on-init' | 'worker-ignore-stop';

/** A worker bundle: the real workers, with some replaced by fixture workers. */
export function makeBundle(overrides: Partial<Record<WorkerName, Fixture>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'raypher-bundle-'));
  for (const name of ['vault', 'proxy', 'scanner', 'updater'] as const) {
    const fixture = overrides[name];
    if (!fixture) {
      symlinkSync(join(REPO, 'workers', name), join(dir, name), 'dir');
      continue;
    }
    mkdirSync(join(dir, name, 'dist'), { recursive: true });
    const url = pathToFileURL(join(REPO, 'tests', 'fixtures', 'dist', `${fixture}.js`)).href;
    writeFileSync(join(dir, name, 'dist', 'main.js'), `import { runFixture } from '${url}';\nawait runFixture('${name}');\n`);
  }
  return dir;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<ChildProcess>();

export class Daemon {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  private constructor(readonly home: string, readonly proc: ChildProcess) {
    live.add(proc);
    proc.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => (live.delete(proc), resolve({ code, signal }))));
  }

  static spawn(home: string, args: string[] = [], options: SpawnOptions = {}): Daemon {
    const proc = spawn(process.execPath, [RAYPHER_BIN, 'run', '--home', home, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    return new Daemon(home, proc);
  }

  static async start(home: string, args: string[] = [], options: SpawnOptions = {}): Promise<Daemon> {
    const d = Daemon.spawn(home, args, options);
    await d.waitForAllRunning();
    return d;
  }

  get pid(): number {
    return this.proc.pid as number;
  }

  async status(): Promise<StatusResult> {
    const r = await ctl(this.home, ['status', '--json']);
    if (r.code !== 0) throw new Error(`status failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as StatusResult;
  }

  async waitForAllRunning(timeoutMs = 20_000): Promise<StatusResult> {
    return waitFor(async () => {
      if (this.proc.exitCode !== null) throw new Error(`supervisor exited with ${this.proc.exitCode}: ${this.stderr}`);
      const s = await this.status().catch(() => undefined);
      return s && s.workers.every((w) => w.state === 'running') ? s : undefined;
    }, timeoutMs, 'all workers running');
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}

/** Kills anything a test left running (jest afterEach). */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...live].map((p) => {
      p.kill('SIGKILL');
      return new Promise((r) => p.once('exit', r));
    }),
  );
}

export interface CtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function ctl(home: string, args: string[], options: SpawnOptions = {}, input?: string): Promise<CtlResult> {
  return run(process.execPath, [CTL_BIN, '--home', home, ...args], options, input);
}

export function run(cmd: string, args: string[], options: SpawnOptions = {}, input?: string): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    p.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    p.stdin?.on('error', () => undefined); // a child that exits before reading its input (a refusal) is not an error here
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin?.end(input ?? '');
  });
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
      if (err instanceof Error && /supervisor exited/.test(err.message)) throw err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface AuditRow {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

export async function auditEvents(home: string, type?: string): Promise<AuditRow[]> {
  const db = await Db.open(join(home, 'data', 'raypher.db'), { readOnly: true });
  try {
    const rows = await db.all<{ seq: number; body: string }>('SELECT seq, body FROM events ORDER BY seq');
    return rows
      .map((r) => {
        const body = JSON.parse(r.body) as { type: string; data: Record<string, unknown> };
        return { seq: r.seq, type: body.type, data: body.data };
      })
      .filter((r) => type === undefined || r.type === type);
  } finally {
    await db.close();
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs whose parent is ppid, from /proc. */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(entry));
    } catch {
      /* process went away */
    }
  }
  return out;
}
