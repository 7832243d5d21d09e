// The alerts queue of raypher.db: what the supervisor and the workers raise for an operator to see.
import type { Db } from './sqlite.js';

export interface Alert {
  type: string;
  /** Who raised it: supervisor, scanner, updater. */
  source: string;
  message: string;
  /** When it happened (ISO); now when absent. */
  ts?: string;
}

export async function addAlert(db: Db, a: Alert): Promise<void> {
  await db.run('INSERT INTO alerts (ts, type, source, message) VALUES (?, ?, ?, ?)', [a.ts ?? new Date().toISOString(), a.type, a.source, a.message]);
}
