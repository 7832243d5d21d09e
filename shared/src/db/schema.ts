// raypher.db's schema history: append new migrations, never edit old ones.
import type { Migration } from './migrate.js';

export const RAYPHER_DB_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        body TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        type TEXT GENERATED ALWAYS AS (json_extract(body, '$.type')) VIRTUAL,
        ts TEXT GENERATED ALWAYS AS (json_extract(body, '$.ts')) VIRTUAL
      );
      CREATE INDEX events_type ON events(type);
      CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events is append-only'); END;
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events is append-only'); END;
      CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        type TEXT NOT NULL,
        source TEXT NOT NULL,
        message TEXT NOT NULL,
        acknowledged INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE allow_list (
        id INTEGER PRIMARY KEY,
        exe_path TEXT NOT NULL,
        exe_hash TEXT NOT NULL,
        friendly_name TEXT,
        uid INTEGER,
        script_path TEXT,
        script_hash TEXT,
        any_script INTEGER NOT NULL DEFAULT 0,
        inline_code INTEGER NOT NULL DEFAULT 0,
        rate_limit INTEGER,
        added_at TEXT NOT NULL,
        added_by TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    sql: `
      CREATE TABLE panic (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        engaged INTEGER NOT NULL,
        reason TEXT,
        changed_at TEXT NOT NULL,
        changed_by TEXT NOT NULL
      );
    `,
  },
  {
    // Caller identity that holds under attack (docs/security.md): interpreter grammar, pinned code trees, named
    // environment and options, the /proc fallback, and code_changed until an operator refreshes the entry.
    version: 4,
    sql: `
      ALTER TABLE allow_list ADD COLUMN family TEXT;
      ALTER TABLE allow_list ADD COLUMN trees TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE allow_list ADD COLUMN allow_env TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE allow_list ADD COLUMN allow_options TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE allow_list ADD COLUMN proc_fallback INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE allow_list ADD COLUMN code_changed INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE allow_tree_files (
        entry_id INTEGER NOT NULL REFERENCES allow_list(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        kind TEXT NOT NULL,
        digest TEXT NOT NULL,
        stamp TEXT NOT NULL,
        PRIMARY KEY (entry_id, path)
      );
    `,
  },
  {
    // Issue 9: journal replay finds a key use's row by request_id (idempotent), and signed checkpoints
    // (seq + head hash, Ed25519, key held by the vault) let verify see a cut tail or re-chained rows.
    version: 5,
    sql: `
      ALTER TABLE events ADD COLUMN request_id TEXT GENERATED ALWAYS AS (json_extract(body, '$.data.request_id')) VIRTUAL;
      CREATE INDEX events_request_id ON events(request_id);
      CREATE TABLE audit_checkpoints (
        id INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL,
        head_hash TEXT NOT NULL,
        ts TEXT NOT NULL,
        key_id TEXT NOT NULL,
        signature TEXT NOT NULL
      );
      CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
      CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
    `,
  },
  {
    // Issue 13: the scanner's findings. subject is the dedupe key of one cause (kind, pid, start time, variable...);
    // detail is JSON without any secret (variable name, provider, whether the fingerprint matches a sealed key).
    version: 6,
    sql: `
      CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        pid INTEGER,
        exe TEXT,
        identity TEXT,
        fingerprint TEXT,
        detail TEXT NOT NULL DEFAULT '{}',
        risk TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
        resolved_at TEXT
      );
      CREATE INDEX findings_state ON findings(state);
      CREATE INDEX findings_subject ON findings(subject);
    `,
  },
];
