// The panic switch: persisted in raypher.db (so a restarted proxy stays locked), audited, read on the hot path.
import type { AuditLedger, Db } from '@raypher/shared/db';
import type { PanicState } from '@raypher/shared/ipc';

interface PanicRow {
  engaged: number;
  reason: string | null;
  changed_at: string;
  changed_by: string;
  [k: string]: unknown;
}

export class PanicSwitch {
  /** Changed only after the row is committed. */
  private state: PanicState = { engaged: false, reason: null, changedAt: null, changedBy: null };

  constructor(
    private readonly db: Db,
    private readonly ledger: AuditLedger,
    private readonly onEngage: () => void,
  ) {}

  async load(): Promise<void> {
    const row = await this.db.get<PanicRow>('SELECT engaged, reason, changed_at, changed_by FROM panic WHERE id = 1');
    if (row) this.apply(row);
  }

  /** Read on the hot path. */
  get engaged(): boolean {
    return this.state.engaged;
  }

  status(): PanicState {
    return this.state;
  }

  async engage(reason: string | null, by: string): Promise<PanicState> {
    await this.write(true, reason, by);
    this.onEngage();
    await this.ledger.append('panic.engaged', { reason, by });
    return this.state;
  }

  async release(by: string): Promise<PanicState> {
    await this.write(false, null, by);
    await this.ledger.append('panic.released', { by });
    return this.state;
  }

  private async write(engaged: boolean, reason: string | null, by: string): Promise<void> {
    const row: PanicRow = { engaged: engaged ? 1 : 0, reason, changed_at: new Date().toISOString(), changed_by: by };
    await this.db.run('INSERT OR REPLACE INTO panic (id, engaged, reason, changed_at, changed_by) VALUES (1, ?, ?, ?, ?)', [row.engaged, row.reason, row.changed_at, row.changed_by]);
    this.apply(row);
  }

  private apply(row: PanicRow): void {
    this.state = { engaged: row.engaged === 1, reason: row.reason, changedAt: row.changed_at, changedBy: row.changed_by };
  }
}
