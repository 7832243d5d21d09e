// Every [audit] checkpoint_interval_secs the vault signs the ledger's head {seq, head_hash, ts} into audit_checkpoints.
import { appendCheckpoint, GENESIS_HASH, ledgerHead, type Checkpoint, type Db } from '@raypher/shared/db';
import type { Logger } from '@raypher/shared/logging';
import type { CheckpointSigner } from './checkpoint-signer.js';

export class Checkpointer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly db: Db, private readonly signer: CheckpointSigner, private readonly logger: Logger, private intervalSecs: number) {}

  /** Signs one checkpoint now, then one every interval. */
  start(): void {
    this.tick();
  }

  /** A live config change: the next checkpoint follows the new interval. */
  setInterval(secs: number): void {
    if (secs === this.intervalSecs) return;
    this.intervalSecs = secs;
    if (this.timer) {
      clearTimeout(this.timer);
      this.schedule();
    }
  }

  /** Reads the head and signs it. The head is read from raypher.db; the key never leaves this process. */
  async checkpoint(): Promise<Omit<Checkpoint, 'id'>> {
    const head = (await ledgerHead(this.db)) ?? { seq: 0, hash: GENESIS_HASH };
    const claim = { seq: head.seq, head_hash: head.hash, ts: new Date().toISOString() };
    const c = { ...claim, ...this.signer.sign(claim) };
    await appendCheckpoint(this.db, c);
    return c;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    this.running = this.checkpoint().then(
      () => undefined,
      (err: unknown) => this.logger.error('audit checkpoint failed; verify will report the newest checkpoint as old', { code: 'ERR_AUDIT_CHECKPOINT', error: (err as Error).message }),
    ).finally(() => this.schedule());
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), this.intervalSecs * 1000);
  }
}
