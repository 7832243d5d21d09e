// raypherctl audit verify / export: read the database file directly (work with the daemon down).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_PUBLIC_KEY_FILE, Db, exportLines, parseExport, publicKeyFromPem, readAudit, verifyAudit, type AuditReport, type AuditSnapshot } from '@raypher/shared/db';
import { RaypherError } from '@raypher/shared/errors';
import type { CliContext } from '../context.js';

export interface AuditVerifyArgs {
  /** Verify an export file instead of the daemon's database. */
  from?: string;
  /** A public key held elsewhere (PEM), instead of the published one (or the export's). */
  publicKey?: string;
  /** Fail when the newest checkpoint is older than this many seconds. */
  maxAge?: number;
}

export async function auditVerifyCommand(ctx: CliContext, args: AuditVerifyArgs = {}): Promise<number> {
  let snapshot: AuditSnapshot;
  let pem: string | null;
  if (args.from) {
    const parsed = parseExport(readText(args.from, 'export file'), args.from);
    snapshot = parsed;
    pem = parsed.publicKeyPem;
  } else {
    snapshot = await withDb(ctx, readAudit);
    pem = publishedKey(ctx);
  }
  if (args.publicKey) pem = readText(args.publicKey, 'public key');
  if (args.maxAge !== undefined && !(Number.isInteger(args.maxAge) && args.maxAge >= 0)) {
    throw new RaypherError('ERR_CLI_INPUT', `--max-age takes a whole number of seconds (0 or more), not ${String(args.maxAge)}`);
  }
  const report = verifyAudit(snapshot, pem ? parseKey(pem, args.publicKey ?? 'the published public key') : null, { maxAgeSecs: args.maxAge });
  if (ctx.json) ctx.out(JSON.stringify(report));
  else for (const line of describe(report)) ctx.out(line);
  return report.ok ? 0 : 1;
}

export async function auditExportCommand(ctx: CliContext, args: { out?: string }): Promise<number> {
  const snapshot = await withDb(ctx, readAudit);
  const text = `${[...exportLines(snapshot, publishedKey(ctx))].join('\n')}\n`;
  if (args.out) {
    writeFileSync(args.out, text, { mode: 0o600 });
    ctx.err(`exported ${snapshot.rows.length} rows and ${snapshot.checkpoints.length} checkpoints to ${args.out}`);
  } else process.stdout.write(text);
  return 0;
}

function describe(r: AuditReport): string[] {
  const out: string[] = [];
  if (r.firstBroken) out.push(`audit ledger BROKEN (${r.code}) at row ${r.firstBroken.seq}: ${r.firstBroken.reason}`);
  else out.push(`audit chain OK: ${r.rows} rows, head ${r.headHash}`);
  const c = r.checkpoints;
  if (c.firstBad) out.push(`audit checkpoint FAILED (ERR_AUDIT_CHECKPOINT): ${c.firstBad.reason}`);
  if (c.problem) out.push(`audit checkpoints FAILED (ERR_AUDIT_CHECKPOINT): ${c.problem}`);
  if (c.newest) out.push(`checkpoints: ${c.count}${c.ok ? ' verified' : ''}; newest covers row ${c.newest.seq}, signed ${c.newest.ts} (${c.newest.age_secs} s ago); rows after it: ${c.rows_after_newest ?? 'unknown'}`);
  else out.push('checkpoints: none (the vault signs one at start and every [audit] checkpoint_interval_secs); a cut tail cannot be detected without them');
  return out;
}

async function withDb<T>(ctx: CliContext, fn: (db: Db) => Promise<T>): Promise<T> {
  if (!existsSync(ctx.paths.db)) {
    throw new RaypherError('ERR_DB_OPEN', `no audit database at ${ctx.paths.db}; pass the daemon's --home, or run as the service user`);
  }
  const db = await Db.open(ctx.paths.db, { readOnly: true });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

function publishedKey(ctx: CliContext): string | null {
  const path = join(ctx.paths.dataDir, AUDIT_PUBLIC_KEY_FILE);
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new RaypherError('ERR_AUDIT_CHECKPOINT', `cannot read the ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function parseKey(pem: string, source: string) {
  try {
    return publicKeyFromPem(pem);
  } catch (err) {
    throw new RaypherError('ERR_AUDIT_CHECKPOINT', `${source} is not a public key (${(err as Error).message}); pass the PEM the vault published (${AUDIT_PUBLIC_KEY_FILE})`);
  }
}
