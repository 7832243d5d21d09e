// Proxy audit rows, written in batches off the request path (one transaction per batch).
import type { AuditLedger, EventName } from '@raypher/shared/db';
import type { Logger } from '@raypher/shared/logging';

/** Flush at least this often, and whenever this many rows wait. */
const FLUSH_EVERY_MS = 250;
const MAX_BATCH = 200;

export class AuditBatcher {
  private queue: Array<{ type: EventName; data: Record<string, unknown> }> = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly ledger: AuditLedger, private readonly logger: Logger) {}

  /** Open records of key uses: begun before the key leaves, written as one proxy.request row when complete. */
  private readonly open = new Map<string, Record<string, unknown>>();

  /** Records a key use before the key leaves the proxy. Throws when it cannot be recorded (the caller fails closed). */
  begin(requestId: string, data: Record<string, unknown>): void {
    this.open.set(requestId, data);
  }

  /** Completes a begun key use (status, sizes, usage or the error) as its proxy.request row. */
  complete(requestId: string, data: Record<string, unknown>): void {
    const begun = this.open.get(requestId);
    if (!begun) return;
    this.open.delete(requestId);
    this.add('proxy.request', { ...begun, ...data });
  }

  add(type: EventName, data: Record<string, unknown>): void {
    this.queue.push({ type, data });
    if (this.queue.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue.splice(0);
    if (batch.length === 0) return this.writing;
    this.writing = this.writing.then(() =>
      this.ledger.appendMany(batch).then(
        () => undefined,
        (err: unknown) => {
          this.logger.error('proxy audit batch failed', { rows: batch.length, error: (err as Error).message });
        },
      ),
    );
    return this.writing;
  }
}
