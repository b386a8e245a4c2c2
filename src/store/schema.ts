/**
 * The SQLite schema both stores use (Node's better-sqlite3 file and the Workers Durable Object), as an ordered list
 * of migrations. A database records which ones it has in `schema_migrations`; opening it applies only the missing
 * ones. Runtime-neutral: each store runs them with its own driver. Never edit a released migration: append one.
 */

/** One step of the schema. `version`s are positive and strictly increasing through {@link MIGRATIONS}. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const APPEND_ONLY = (table: string) => `
CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
`;

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'operations',
    // `data` holds the whole record; the other columns exist to filter and sort without parsing it.
    sql: `
CREATE TABLE operations (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  kind TEXT NOT NULL,
  principal TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER,
  notice_sent_at INTEGER,
  version INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX operations_created ON operations (created_at);
CREATE INDEX operations_state_created ON operations (state, created_at);
CREATE INDEX operations_principal_created ON operations (principal, created_at);
CREATE TABLE operation_machines (
  operation_id TEXT NOT NULL,
  system_id TEXT NOT NULL,
  hostname TEXT NOT NULL
);
CREATE INDEX operation_machines_operation ON operation_machines (operation_id);
CREATE INDEX operation_machines_system_id ON operation_machines (system_id);
CREATE INDEX operation_machines_hostname ON operation_machines (hostname);
`,
  },
  {
    version: 2,
    name: 'confirmations',
    sql: `
CREATE TABLE confirmations (
  token_hash TEXT PRIMARY KEY,
  tool TEXT NOT NULL,
  args_hash TEXT NOT NULL,
  principal TEXT NOT NULL,
  targets TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX confirmations_expires ON confirmations (expires_at);
`,
  },
  {
    version: 3,
    name: 'audit',
    sql: `
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  principal TEXT NOT NULL,
  via TEXT NOT NULL,
  tool TEXT NOT NULL,
  result TEXT NOT NULL,
  detail TEXT NOT NULL,
  operation_id TEXT,
  targets TEXT NOT NULL,
  args TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_principal_at ON audit (principal, at);
CREATE INDEX audit_tool_at ON audit (tool, at);
CREATE TABLE audit_machines (
  audit_id INTEGER NOT NULL,
  system_id TEXT NOT NULL,
  hostname TEXT NOT NULL
);
CREATE INDEX audit_machines_system_id ON audit_machines (system_id);
CREATE INDEX audit_machines_hostname ON audit_machines (hostname);
${APPEND_ONLY('audit')}
${APPEND_ONLY('audit_machines')}
`,
  },
  {
    version: 4,
    name: 'kv',
    sql: `
CREATE TABLE kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  expires_at INTEGER
);
`,
  },
  {
    version: 5,
    name: 'notice leases',
    // A notice is leased while it is being delivered and between retries; it is sent only once delivered.
    // Expired key/values are swept by their expiry.
    sql: `
ALTER TABLE operations ADD COLUMN notice_lease_until INTEGER;
CREATE INDEX operations_unnoticed ON operations (notice_sent_at, state);
CREATE INDEX kv_expires ON kv (expires_at);
`,
  },
  {
    version: 6,
    name: 'clusters',
    // `data` holds the whole record (README "Kubernetes clusters"); its secrets are sealed inside it.
    sql: `
CREATE TABLE clusters (
  name TEXT PRIMARY KEY,
  uid TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  data TEXT NOT NULL
);
`,
  },
];
