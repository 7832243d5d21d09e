// A real software TPM (swtpm) on free loopback ports, for vault tests; state survives restarts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, waitFor } from './daemon.js';

async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    if (port >= 65535) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer().once('error', () => resolve(false)).listen(port + 1, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port pair for swtpm');
}

export class Swtpm {
  private proc: ChildProcess | undefined;
  readonly stateDir = mkdtempSync(join(tmpdir(), 'raypher-swtpm-'));

  private constructor(readonly port: number) {}

  /** Fails (never skips) when swtpm is not installed: .ci/run installs it. */
  static async start(): Promise<Swtpm> {
    const tpm = new Swtpm(await freePortPair());
    await tpm.launch();
    return tpm;
  }

  get tcti(): string {
    return `swtpm:host=127.0.0.1,port=${this.port}`;
  }

  async launch(): Promise<void> {
    const args = ['socket', '--tpm2', '--tpmstate', `dir=${this.stateDir}`, '--server', `type=tcp,port=${this.port},bindaddr=127.0.0.1`, '--ctrl', `type=tcp,port=${this.port + 1},bindaddr=127.0.0.1`, '--flags', 'not-need-init,startup-clear'];
    const proc = spawn('swtpm', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const spawned = await new Promise<boolean>((resolve) => {
      proc.once('spawn', () => resolve(true));
      proc.once('error', () => resolve(false));
    });
    if (!spawned) throw new Error('swtpm is not installed (apt install swtpm swtpm-tools tpm2-tools); the vault tests need a real software TPM');
    this.proc = proc;
    await waitFor(async () => {
      if (proc.exitCode !== null) throw new Error(`swtpm exited: ${stderr}`);
      return (await this.tool('tpm2_getcap', ['properties-fixed'])).code === 0;
    }, 10_000, 'swtpm to answer');
  }

  /** Stops the TPM process (state kept on disk), as a TPM reset would. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Runs a tpm2-tools command against this TPM, flushing transient objects afterwards. */
  async tool(cmd: string, args: string[]) {
    const env = { ...process.env, TPM2TOOLS_TCTI: this.tcti };
    const r = await run(cmd, args, { env });
    await run('tpm2_flushcontext', ['-t'], { env });
    return r;
  }
}
