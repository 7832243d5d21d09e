// raypherctl audit verify: recomputes the hash chain from the database file (works with the daemon down).
import { existsSync } from 'node:fs';
import { Db, verifyLedger } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';
import type { CliContext } from '../context.js';

export async function auditVerifyCommand(ctx: CliContext): Promise<number> {
  if (!existsSync(ctx.paths.db)) {
    throw new RaypherError('ERR_DB_OPEN', `no audit database at ${ctx.paths.db}; pass the daemon's --home, or run as the service user`);
  }
  const db = await Db.open(ctx.paths.db, { readOnly: true });
  try {
    const result = await verifyLedger(db);
    if (ctx.json) ctx.out(JSON.stringify(result));
    else if (result.ok) ctx.out(`audit ledger OK: ${result.rows} rows, head ${result.headHash}`);
    else ctx.out(`audit ledger BROKEN at row ${result.firstBroken?.seq}: ${result.firstBroken?.reason}`);
    return result.ok ? 0 : 1;
  } finally {
    await db.close();
  }
}
