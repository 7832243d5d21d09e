// Appends supervisor events to the audit ledger off the caller's path, in order, and logs each one.
import { addAlert, AuditLedger, type Db, type EventName } from '@raypher/shared/db';
import type { Logger } from '@raypher/shared/logging';

export class AuditWriter {
  private readonly ledger: AuditLedger;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: Db, private readonly logger: Logger) {
    this.ledger = new AuditLedger(db, 'supervisor');
  }

  write(type: EventName, data: Record<string, unknown>): void {
    this.logger.info(type, { event: type, ...data });
    this.tail = this.tail
      .then(() => this.ledger.append(type, data))
      .catch((err: unknown) => this.logger.error('audit append failed', { event: type, error: (err as Error).message }));
  }

  async raiseAlert(type: string, message: string): Promise<void> {
    await addAlert(this.db, { type, source: 'supervisor', message })
      .catch((err: unknown) => this.logger.error('alert insert failed', { error: (err as Error).message }));
  }

  /** Resolves once every queued event is written. */
  flush(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
