// The findings table in raypher.db: opens new causes, refreshes seen ones, resolves vanished ones, each change audited.
import type { AuditLedger, Db } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';
import type { FindingInfo, RiskLevel } from '@raypher/shared/ipc';

/** One cause seen on this pass; subject identifies it across passes. */
export interface Cause {
  readonly kind: FindingInfo['kind'];
  readonly subject: string;
  readonly pid: number | null;
  readonly exe: string | null;
  readonly identity: string | null;
  readonly fingerprint: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly risk: RiskLevel;
}

interface FindingRow {
  id: number;
  kind: string;
  subject: string;
  pid: number | null;
  exe: string | null;
  identity: string | null;
  fingerprint: string | null;
  detail: string;
  risk: string;
  state: string;
  first_seen: string;
  last_seen: string;
  [k: string]: unknown;
}

const COLUMNS = 'id, kind, subject, pid, exe, identity, fingerprint, detail, risk, state, first_seen, last_seen';

/** Seconds between last_seen refreshes of a finding that is still there (one UPDATE for all of them). */
const LAST_SEEN_REFRESH_MS = 30_000;

export class FindingsStore {
  /** Unresolved findings by subject: only this worker writes the table, so the copy stays true after load(). */
  private live: Map<string, FindingRow> | null = null;
  private lastSeenWrittenAt = 0;

  constructor(private readonly db: Db, private readonly ledger: AuditLedger) {}

  /** Brings the table in line with this pass's causes; returns the findings opened now. */
  async reconcile(causes: readonly Cause[]): Promise<FindingInfo[]> {
    const now = new Date().toISOString();
    const live = await this.liveRows();
    const seen = new Set<string>();
    const opened: FindingInfo[] = [];
    for (const c of causes) {
      if (seen.has(c.subject)) continue;
      seen.add(c.subject);
      if (live.has(c.subject)) continue;
      const detail = JSON.stringify(c.detail);
      const { lastID } = await this.db.run(
        `INSERT INTO findings (kind, subject, pid, exe, identity, fingerprint, detail, risk, first_seen, last_seen, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')`,
        [c.kind, c.subject, c.pid, c.exe, c.identity, c.fingerprint, detail, c.risk, now, now],
      );
      const row: FindingRow = { id: lastID, kind: c.kind, subject: c.subject, pid: c.pid, exe: c.exe, identity: c.identity, fingerprint: c.fingerprint, detail, risk: c.risk, state: 'open', first_seen: now, last_seen: now };
      live.set(c.subject, row);
      await this.ledger.append('scanner.finding_opened', { id: lastID, kind: c.kind, pid: c.pid, exe: c.exe, identity: c.identity, fingerprint: c.fingerprint, detail: c.detail, risk: c.risk });
      if (c.kind === 'key.exposed') await this.ledger.append('scanner.key_exposure', { id: lastID, pid: c.pid, exe: c.exe, fingerprint: c.fingerprint, ...c.detail });
      opened.push(toInfo(row));
    }
    for (const [subject, row] of live) {
      if (seen.has(subject)) continue;
      await this.db.run(`UPDATE findings SET state = 'resolved', resolved_at = ?, last_seen = ? WHERE id = ?`, [now, now, row.id]);
      live.delete(subject);
      await this.ledger.append('scanner.finding_resolved', { id: row.id, kind: row.kind, pid: row.pid, reason: 'cause gone' });
    }
    if (live.size > 0 && Date.now() - this.lastSeenWrittenAt > LAST_SEEN_REFRESH_MS) {
      this.lastSeenWrittenAt = Date.now();
      const ids = [...live.values()].map((r) => r.id);
      await this.db.run(`UPDATE findings SET last_seen = ? WHERE id IN (${ids.map(() => '?').join(', ')})`, [now, ...ids]);
    }
    return opened;
  }

  private async liveRows(): Promise<Map<string, FindingRow>> {
    if (this.live) return this.live;
    const rows = await this.db.all<FindingRow>(`SELECT ${COLUMNS} FROM findings WHERE state != 'resolved'`);
    this.live = new Map(rows.map((r) => [r.subject, r]));
    return this.live;
  }

  async list(all: boolean): Promise<FindingInfo[]> {
    const rows = await this.db.all<FindingRow>(`SELECT ${COLUMNS} FROM findings ${all ? '' : "WHERE state != 'resolved'"} ORDER BY id`);
    return rows.map(toInfo);
  }

  async acknowledge(id: number, by: string): Promise<FindingInfo> {
    const row = await this.db.get<FindingRow>(`SELECT ${COLUMNS} FROM findings WHERE id = ?`, [id]);
    if (!row) throw new RaypherError('ERR_SCANNER_FINDING_UNKNOWN', `no finding has id ${id}; list them with 'raypherctl findings --all'`);
    if (row.state === 'open') {
      await this.db.run(`UPDATE findings SET state = 'acknowledged' WHERE id = ?`, [id]);
      await this.ledger.append('scanner.finding_acknowledged', { id, kind: row.kind, pid: row.pid, by });
      row.state = 'acknowledged';
      const cached = this.live?.get(row.subject);
      if (cached) cached.state = 'acknowledged';
    }
    return toInfo(row);
  }

  /** Findings not resolved (open or acknowledged): /health's active_threats. */
  async activeCount(): Promise<number> {
    return (await this.liveRows()).size;
  }
}

function toInfo(r: FindingRow): FindingInfo {
  return {
    id: r.id,
    kind: r.kind as FindingInfo['kind'],
    pid: r.pid,
    exe: r.exe,
    identity: r.identity,
    fingerprint: r.fingerprint,
    detail: r.detail,
    risk: r.risk as RiskLevel,
    state: r.state as FindingInfo['state'],
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
  };
}
