// The audit export: JSON lines (the public key, every row as stored, every checkpoint) for off-machine storage.
import { RaypherError } from '../errors/index.js';
import type { StoredRow } from './audit.js';
import type { AuditSnapshot } from './audit-verify.js';
import type { Checkpoint } from './checkpoint.js';

export const EXPORT_FORMAT = 'raypher-audit-export-v1';

type Line = { kind: 'header'; format: string; exported_at: string; public_key: string | null } | ({ kind: 'row' } & StoredRow) | ({ kind: 'checkpoint' } & Checkpoint);

export function* exportLines(snapshot: AuditSnapshot, publicKeyPem: string | null, now = new Date()): Generator<string> {
  yield JSON.stringify({ kind: 'header', format: EXPORT_FORMAT, exported_at: now.toISOString(), public_key: publicKeyPem } satisfies Line);
  for (const r of snapshot.rows) yield JSON.stringify({ kind: 'row', seq: r.seq, body: r.body, prev_hash: r.prev_hash, hash: r.hash } satisfies Line);
  for (const c of snapshot.checkpoints) yield JSON.stringify({ kind: 'checkpoint', id: c.id, seq: c.seq, head_hash: c.head_hash, ts: c.ts, key_id: c.key_id, signature: c.signature } satisfies Line);
}

/** Reads an export back (for verify --from): the rows, the checkpoints and the public key it carried. */
export function parseExport(text: string, source: string): AuditSnapshot & { publicKeyPem: string | null } {
  const rows: StoredRow[] = [];
  const checkpoints: Checkpoint[] = [];
  let publicKeyPem: string | null = null;
  let header = false;
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    const bad = (why: string) => new RaypherError('ERR_AUDIT_BROKEN', `${source} line ${i + 1}: ${why}; export it again with raypherctl audit export`);
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      throw bad('not JSON');
    }
    if (line.kind === 'header') {
      if (line.format !== EXPORT_FORMAT) throw bad(`unknown format ${String(line.format)}`);
      header = true;
      publicKeyPem = line.public_key;
    } else if (line.kind === 'row') rows.push({ seq: line.seq, body: line.body, prev_hash: line.prev_hash, hash: line.hash });
    else if (line.kind === 'checkpoint') checkpoints.push({ id: line.id, seq: line.seq, head_hash: line.head_hash, ts: line.ts, key_id: line.key_id, signature: line.signature });
    else throw bad('unknown line kind');
  });
  if (!header) throw new RaypherError('ERR_AUDIT_BROKEN', `${source} has no ${EXPORT_FORMAT} header; is it a raypherctl audit export?`);
  rows.sort((a, b) => a.seq - b.seq);
  return { rows, checkpoints, publicKeyPem };
}
