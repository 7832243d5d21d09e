// A 32-byte secret sealed in the TPM through tpm2-tools (ECC primary, optional PCR policy).
// The sealed object's public/private blobs live on disk; the primary key is re-derived each time.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RaypherError } from '@raypher/shared/errors';

/** Time one tpm2-tools command may take, in ms. */
const TPM_COMMAND_TIMEOUT_MS = 15_000;
const PRIMARY_ARGS = ['-C', 'o', '-G', 'ecc', '-g', 'sha256'];

export interface Tpm2Options {
  /** TPM2TOOLS_TCTI value, e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321 */
  tcti: string;
  /** Directory for seal.pub / seal.priv (0700). */
  dir: string;
  /** PCR selection such as "sha256:7", or "" for no PCR policy. */
  pcrs: string;
}

export class Tpm2 {
  constructor(private readonly opts: Tpm2Options) {}

  get pcrs(): string {
    return this.opts.pcrs;
  }

  private get files() {
    return { pub: join(this.opts.dir, 'seal.pub'), priv: join(this.opts.dir, 'seal.priv') };
  }

  /** True when a TPM answers on the configured TCTI. */
  async present(): Promise<boolean> {
    const device = /^device:(.+)$/.exec(this.opts.tcti)?.[1];
    if (device !== undefined) {
      const { existsSync } = await import('node:fs');
      if (!existsSync(device)) return false;
    }
    try {
      await this.run('tpm2_getcap', ['properties-fixed'], { timeoutMs: 5000 });
      return true;
    } catch {
      return false;
    }
  }

  /** The endorsement key's public area (TPM2B_PUBLIC, default RSA template): the same bytes on every call for one TPM. */
  async endorsementPublic(): Promise<Buffer> {
    return this.withWorkDir(async (work) => {
      await this.run('tpm2_createek', ['-c', join(work, 'ek.ctx'), '-G', 'rsa', '-u', join(work, 'ek.pub')]);
      return readFileSync(join(work, 'ek.pub'));
    });
  }

  /** Seals secret in a new TPM object (replacing the blobs on disk atomically). */
  async sealNew(secret: Buffer): Promise<void> {
    await this.withWorkDir(async (work) => {
      const primary = join(work, 'primary.ctx');
      await this.run('tpm2_createprimary', [...PRIMARY_ARGS, '-c', primary]);
      const args = ['-C', primary, '-i', '-', '-u', join(work, 'seal.pub'), '-r', join(work, 'seal.priv')];
      if (this.opts.pcrs) {
        const policy = join(work, 'pcr.policy');
        await this.run('tpm2_createpolicy', ['--policy-pcr', '-l', this.opts.pcrs, '-L', policy]);
        args.push('-L', policy, '-a', 'fixedtpm|fixedparent|noda');
      }
      await this.run('tpm2_create', args, { input: secret });
      mkdirSync(this.opts.dir, { recursive: true, mode: 0o700 });
      for (const f of ['seal.pub', 'seal.priv'] as const) {
        writeFileSync(join(this.opts.dir, `${f}.tmp`), readFileSync(join(work, f)), { mode: 0o600 });
        renameSync(join(this.opts.dir, `${f}.tmp`), join(this.opts.dir, f));
      }
    });
  }

  /** Unseals the secret; a PCR policy that no longer matches is ERR_VAULT_PCR_MISMATCH. */
  async unseal(): Promise<Buffer> {
    return this.withWorkDir(async (work) => {
      const primary = join(work, 'primary.ctx');
      const object = join(work, 'seal.ctx');
      await this.run('tpm2_createprimary', [...PRIMARY_ARGS, '-c', primary]);
      await this.run('tpm2_load', ['-C', primary, '-u', this.files.pub, '-r', this.files.priv, '-c', object]);
      const args = ['-c', object, ...(this.opts.pcrs ? ['-p', `pcr:${this.opts.pcrs}`] : [])];
      return this.run('tpm2_unseal', args);
    });
  }

  private async withWorkDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    mkdirSync(this.opts.dir, { recursive: true, mode: 0o700 });
    const work = mkdtempSync(join(this.opts.dir, 'work-'));
    try {
      return await fn(work);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  /** One tpm2-tools step, then flush: without a resource manager (swtpm over TCP) objects would pile up. */
  private async run(cmd: string, args: string[], opts: { input?: Buffer; timeoutMs?: number } = {}): Promise<Buffer> {
    try {
      return await this.exec(cmd, args, opts);
    } finally {
      await this.exec('tpm2_flushcontext', ['-t']).catch(() => undefined);
      await this.exec('tpm2_flushcontext', ['-s']).catch(() => undefined);
    }
  }

  private async exec(cmd: string, args: string[], opts: { input?: Buffer; timeoutMs?: number } = {}): Promise<Buffer> {
    // Loaded on first TPM use: execa costs ~140 ms of start-up, and a host-key vault never needs it.
    const { execa } = await import('execa');
    try {
      const result = await execa(cmd, args, {
        env: { TPM2TOOLS_TCTI: this.opts.tcti },
        extendEnv: true,
        encoding: 'buffer',
        timeout: opts.timeoutMs ?? TPM_COMMAND_TIMEOUT_MS,
        ...(opts.input ? { input: opts.input } : {}),
      });
      return Buffer.from(result.stdout);
    } catch (err) {
      const e = err as { stderr?: Uint8Array; code?: string; timedOut?: boolean; shortMessage?: string };
      if (e.code === 'ENOENT') throw new RaypherError('ERR_VAULT_TPM', `${cmd} not found; install tpm2-tools (apt install tpm2-tools)`);
      const stderr = e.stderr ? Buffer.from(e.stderr).toString('utf8').trim().split('\n').slice(-2).join(' ') : '';
      if (/policy check failed|POLICY_FAIL|0x99d|0x1d/i.test(stderr) && cmd === 'tpm2_unseal') {
        throw new RaypherError(
          'ERR_VAULT_PCR_MISMATCH',
          `the TPM refused to unseal: PCR values (${this.opts.pcrs}) no longer match the policy (firmware or boot change?); run 'raypherctl vault recover' with your recovery key`,
        );
      }
      throw new RaypherError('ERR_VAULT_TPM', `${cmd} failed${e.timedOut ? ' (timed out)' : ''} on TCTI ${this.opts.tcti}: ${stderr || e.shortMessage || 'no output'}`);
    }
  }
}
