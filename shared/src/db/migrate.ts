// Versioned migrations tracked in PRAGMA user_version; each step runs in its own transaction.
import { RaypherError } from '../errors/index.js';
import type { Db } from './sqlite.js';

export type Migration = { version: number; sql: string };

export async function migrate(db: Db, migrations: readonly Migration[]): Promise<number> {
  const row = await db.get<{ user_version: number }>('PRAGMA user_version');
  const current = row?.user_version ?? 0;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new RaypherError('ERR_DB_OPEN', `${db.file} has schema version ${current}, newer than this Raypher knows (${latest}); upgrade Raypher or restore a backup`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    await db.transaction(async (tx) => {
      await tx.exec(m.sql);
      await tx.exec(`PRAGMA user_version = ${m.version}`);
    });
  }
  return latest;
}
