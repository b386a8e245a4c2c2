/**
 * The SQLite Store, once for both runtimes: Node's better-sqlite3 file (src/node/sqlite-store.ts) and a Durable
 * Object's `ctx.storage.sql` (./durable.ts) each supply only a tiny synchronous {@link SqlDriver}; the SQL, the
 * migrations, the row mapping and the compare-and-set rules live here. Runtime-neutral.
 *
 * Atomicity: both drivers are synchronous, so no other call can run between the statements of one method;
 * multi-statement writes still go through `transaction` so that a failure half-way rolls everything back. The
 * compare-and-set rules (`updateOperation`'s version check, `claimNotice`, `useConfirmation`, `addValue`) are single
 * conditional statements whose RETURNING rows say who won (a Durable Object's `rowsWritten` cannot say it: it
 * also counts index and sequence writes).
 */

import { ClusterRecord } from './clusters.ts';
import { MIGRATIONS, type Migration } from './schema.ts';
import {
  anyOf,
  checkAudit,
  checkCluster,
  checkConfirmation,
  checkOperation,
  listLimit,
  pageBounds,
  parseRow,
  StoreDataError,
} from './shared.ts';
import {
  type AuditFilter,
  AuditRecord,
  Confirmation,
  FINAL_STATES,
  type NewAuditRecord,
  Operation,
  type OperationFilter,
  type Store,
  type ValueKey,
} from './types.ts';

export { MIGRATIONS, type Migration } from './schema.ts';

/** A value SQLite hands back or takes as a binding. */
export type SqlValue = ArrayBuffer | string | number | null;

/** What a SQLite database must offer the store: synchronous, one connection. */
export interface SqlDriver {
  /** Runs one statement; its rows (RETURNING rows for a write), or [] when it returns none. */
  query<T>(sql: string, ...params: SqlValue[]): T[];
  /** Runs several `;`-separated statements without parameters (a migration). */
  script(sql: string): void;
  /** Runs `fn` in one transaction: all of it, or none of it when it throws. */
  transaction<T>(fn: () => T): T;
  /** Releases the database; called once, by {@link SqlStore.close}. */
  close(): void;
}

export interface SqlStoreOptions {
  now?: () => number;
  /** The schema to bring the database up to; tests pass a prefix of {@link MIGRATIONS} to make an old one. */
  migrations?: readonly Migration[];
}

type OperationRow = { id: string; data: string };
type ClusterRow = { name: string; data: string };
type ConfirmationRow = Omit<Confirmation, 'targets'> & { targets: string };
type AuditRow = Omit<AuditRecord, 'targets' | 'args'> & { targets: string; args: string };

const FINAL = [...FINAL_STATES];
const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

function json(text: string, table: string, key: string | number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StoreDataError(
      table,
      key,
      `invalid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

/**
 * Brings the database up to the last of `migrations`, all in one transaction, recording each in
 * `schema_migrations` (a Durable Object may not use `PRAGMA user_version`). Refuses a database written by a
 * newer maas-mcp rather than running against a schema it does not know.
 */
export function migrate(db: SqlDriver, migrations: readonly Migration[], now: number): void {
  let last = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= last) {
      throw new Error(`store: migration versions must increase; ${m.version} (${m.name}) follows ${last}`);
    }
    last = m.version;
  }
  db.transaction(() => {
    db.script(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const applied = new Set(
      db.query<{ version: number }>('SELECT version FROM schema_migrations').map((r) => r.version),
    );
    const newest = Math.max(0, ...applied);
    if (newest > last) {
      throw new Error(
        `store: the database is at schema version ${newest}, newer than this maas-mcp knows (${last}); upgrade maas-mcp`,
      );
    }
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      db.script(m.sql);
      db.query(
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
        m.version,
        m.name,
        now,
      );
    }
  });
}

/** A {@link Store} in a SQLite database reached through a {@link SqlDriver}. */
export class SqlStore implements Store {
  private readonly now: () => number;
  private closed = false;

  /** Migrates the database (cheap when it is current). */
  constructor(
    private readonly db: SqlDriver,
    opts: SqlStoreOptions = {},
  ) {
    this.now = opts.now ?? (() => Date.now());
    migrate(db, opts.migrations ?? MIGRATIONS, this.now());
  }

  async createOperation(op: Operation): Promise<void> {
    const valid = checkOperation(op);
    this.transaction(() => {
      const inserted = this.query(
        `INSERT INTO operations (id, state, kind, principal, created_at, updated_at, finished_at,
           notice_sent_at, version, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        ...columns(valid),
      );
      if (inserted.length !== 1)
        throw new Error(`store: operation ${JSON.stringify(valid.id)} already exists`);
      this.indexMachines(valid);
    });
  }

  async getOperation(id: string): Promise<Operation | undefined> {
    const [row] = this.query<OperationRow>('SELECT id, data FROM operations WHERE id = ?', id);
    return row && operation(row);
  }

  async updateOperation(op: Operation): Promise<Operation | undefined> {
    const valid = checkOperation(op);
    return this.transaction(() => {
      const [current] = this.query<{ notice_sent_at: number | null }>(
        'SELECT notice_sent_at FROM operations WHERE id = ? AND version = ?',
        valid.id,
        valid.version,
      );
      if (!current) return undefined;
      // A claimed notice stays claimed even if the caller's copy predates the claim: it must never go out twice.
      const stored: Operation = {
        ...valid,
        version: valid.version + 1,
        notice_sent_at: current.notice_sent_at ?? valid.notice_sent_at,
      };
      const [id, ...rest] = columns(stored);
      const changed = this.query(
        `UPDATE operations SET state = ?, kind = ?, principal = ?, created_at = ?, updated_at = ?,
           finished_at = ?, notice_sent_at = ?, version = ?, data = ? WHERE id = ? AND version = ? RETURNING id`,
        ...rest,
        id as string,
        valid.version,
      );
      if (changed.length !== 1) return undefined;
      this.query('DELETE FROM operation_machines WHERE operation_id = ?', valid.id);
      this.indexMachines(stored);
      return stored;
    });
  }

  async listOperations(filter: OperationFilter = {}): Promise<Operation[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const states = anyOf(filter.state);
    const kinds = anyOf(filter.kind);
    if (states) {
      where.push(`state IN (${placeholders(states.length)})`);
      params.push(...states);
    }
    if (kinds) {
      where.push(`kind IN (${placeholders(kinds.length)})`);
      params.push(...kinds);
    }
    if (filter.principal !== undefined) {
      where.push('principal = ?');
      params.push(filter.principal);
    }
    if (filter.machine !== undefined) {
      where.push('id IN (SELECT operation_id FROM operation_machines WHERE system_id = ? OR hostname = ?)');
      params.push(filter.machine, filter.machine);
    }
    const { limit, offset } = pageBounds(filter);
    // rowid breaks ties between operations created in the same millisecond: insertion order.
    return this.query<OperationRow>(
      `SELECT id, data FROM operations ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
      ...params,
      limit,
      offset,
    ).map(operation);
  }

  async runningOperations(): Promise<Operation[]> {
    return this.query<OperationRow>(
      "SELECT id, data FROM operations WHERE state = 'running' ORDER BY created_at, rowid",
    ).map(operation);
  }

  async claimNotice(id: string, at: number, leaseUntil: number): Promise<boolean> {
    const won = this.query(
      `UPDATE operations SET notice_lease_until = ?
       WHERE id = ? AND notice_sent_at IS NULL AND (notice_lease_until IS NULL OR notice_lease_until <= ?)
       RETURNING id`,
      leaseUntil,
      id,
      at,
    );
    return won.length === 1;
  }

  async settleNotice(id: string, outcome: { sentAt: number } | { retryAt: number }): Promise<void> {
    if ('sentAt' in outcome) {
      // A JS number may bind as REAL; the cast keeps the JSON copy an integer, as the column is.
      this.query(
        `UPDATE operations SET notice_sent_at = ?, notice_lease_until = NULL,
           data = json_set(data, '$.notice_sent_at', CAST(? AS INTEGER))
         WHERE id = ? AND notice_sent_at IS NULL`,
        outcome.sentAt,
        outcome.sentAt,
        id,
      );
    } else {
      this.query(
        'UPDATE operations SET notice_lease_until = ? WHERE id = ? AND notice_sent_at IS NULL',
        outcome.retryAt,
        id,
      );
    }
  }

  async unnoticedOperations(now: number): Promise<Operation[]> {
    return this.query<OperationRow>(
      `SELECT id, data FROM operations WHERE notice_sent_at IS NULL AND state IN (${placeholders(FINAL.length)})
         AND (notice_lease_until IS NULL OR notice_lease_until <= ?)
       ORDER BY created_at, rowid`,
      ...FINAL,
      now,
    ).map(operation);
  }

  async nextNoticeAt(): Promise<number | undefined> {
    const [row] = this.query<{ at: number | null }>(
      `SELECT MIN(notice_lease_until) AS at FROM operations
       WHERE notice_sent_at IS NULL AND state IN (${placeholders(FINAL.length)})`,
      ...FINAL,
    );
    return row?.at ?? undefined;
  }

  async putConfirmation(c: Confirmation): Promise<void> {
    const v = checkConfirmation(c);
    // Replacing a confirmation could reset `used_at` and let a token be replayed, so a duplicate is refused.
    const inserted = this.query(
      `INSERT INTO confirmations (token_hash, tool, args_hash, principal, targets, created_at, expires_at, used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (token_hash) DO NOTHING RETURNING token_hash`,
      v.token_hash,
      v.tool,
      v.args_hash,
      v.principal,
      JSON.stringify(v.targets),
      v.created_at,
      v.expires_at,
      v.used_at,
    );
    if (inserted.length !== 1) throw new Error('store: confirmation already exists');
  }

  async getConfirmation(tokenHash: string): Promise<Confirmation | undefined> {
    const [row] = this.query<ConfirmationRow>('SELECT * FROM confirmations WHERE token_hash = ?', tokenHash);
    if (!row) return undefined;
    const value = { ...row, targets: json(row.targets, 'confirmations', row.token_hash) };
    return parseRow(Confirmation, value, 'confirmations', row.token_hash);
  }

  async useConfirmation(tokenHash: string, at: number): Promise<boolean> {
    const won = this.query(
      'UPDATE confirmations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL RETURNING token_hash',
      at,
      tokenHash,
    );
    return won.length === 1;
  }

  async purgeConfirmations(before: number): Promise<number> {
    return this.query('DELETE FROM confirmations WHERE expires_at < ? RETURNING token_hash', before).length;
  }

  async appendAudit(rec: NewAuditRecord): Promise<number> {
    const v = checkAudit(rec);
    return this.transaction(() => {
      const [row] = this.query<{ id: number }>(
        `INSERT INTO audit (at, principal, via, tool, result, detail, operation_id, targets, args)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        v.at,
        v.principal,
        v.via,
        v.tool,
        v.result,
        v.detail,
        v.operation_id,
        JSON.stringify(v.targets),
        JSON.stringify(v.args),
      );
      if (!row) throw new Error('store: the audit insert returned no id');
      for (const t of v.targets) {
        this.query(
          'INSERT INTO audit_machines (audit_id, system_id, hostname) VALUES (?, ?, ?)',
          row.id,
          t.system_id,
          t.hostname,
        );
      }
      return row.id;
    });
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (clause: string, ...values: SqlValue[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (filter.since !== undefined) add('at >= ?', filter.since);
    if (filter.principal !== undefined) add('principal = ?', filter.principal);
    if (filter.tool !== undefined) add('tool = ?', filter.tool);
    if (filter.machine !== undefined) {
      add(
        'id IN (SELECT audit_id FROM audit_machines WHERE system_id = ? OR hostname = ?)',
        filter.machine,
        filter.machine,
      );
    }
    const { limit, offset } = pageBounds(filter);
    const rows = this.query<AuditRow>(
      `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`,
      ...params,
      limit,
      offset,
    );
    return rows.map((row) => {
      const value = {
        ...row,
        targets: json(row.targets, 'audit', row.id),
        args: json(row.args, 'audit', row.id),
      };
      return parseRow(AuditRecord, value, 'audit', row.id);
    });
  }

  async createCluster(c: ClusterRecord): Promise<void> {
    const v = checkCluster(c);
    const inserted = this.query(
      `INSERT INTO clusters (name, uid, version, updated_at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO NOTHING RETURNING name`,
      v.name,
      v.uid,
      v.version,
      v.updated_at,
      JSON.stringify(v),
    );
    if (inserted.length !== 1) throw new Error(`store: cluster ${JSON.stringify(v.name)} already exists`);
  }

  async getCluster(name: string): Promise<ClusterRecord | undefined> {
    const [row] = this.query<ClusterRow>('SELECT name, data FROM clusters WHERE name = ?', name);
    return row && cluster(row);
  }

  async updateCluster(c: ClusterRecord): Promise<ClusterRecord | undefined> {
    const v = checkCluster(c);
    const stored: ClusterRecord = { ...v, version: v.version + 1 };
    const changed = this.query(
      `UPDATE clusters SET uid = ?, version = ?, updated_at = ?, data = ?
       WHERE name = ? AND version = ? RETURNING name`,
      stored.uid,
      stored.version,
      stored.updated_at,
      JSON.stringify(stored),
      v.name,
      v.version,
    );
    return changed.length === 1 ? stored : undefined;
  }

  async listClusters(): Promise<ClusterRecord[]> {
    return this.query<ClusterRow>('SELECT name, data FROM clusters ORDER BY name').map(cluster);
  }

  async deleteCluster(name: string, version: number): Promise<boolean> {
    return (
      this.query('DELETE FROM clusters WHERE name = ? AND version = ? RETURNING name', name, version)
        .length === 1
    );
  }

  async getValue(key: string): Promise<string | undefined> {
    const [row] = this.query<{ value: string; expires_at: number | null }>(
      'SELECT value, expires_at FROM kv WHERE key = ?',
      key,
    );
    if (!row) return undefined;
    if (row.expires_at !== null && this.now() >= row.expires_at) {
      this.query('DELETE FROM kv WHERE key = ? AND expires_at = ?', key, row.expires_at);
      return undefined;
    }
    return row.value;
  }

  async setValue(key: string, value: string, expiresAt?: number): Promise<void> {
    this.query(
      `INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      key,
      value,
      expiresAt ?? null,
    );
  }

  async addValue(key: string, value: string, expiresAt: number): Promise<boolean> {
    return this.transaction(() => {
      this.query('DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?', this.now());
      const added = this.query(
        'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING key',
        key,
        value,
        expiresAt,
      );
      return added.length === 1;
    });
  }

  async deleteValue(key: string): Promise<void> {
    this.query('DELETE FROM kv WHERE key = ?', key);
  }

  async listValues(prefix: string, opts: { after?: string; limit?: number } = {}): Promise<ValueKey[]> {
    // `key >= prefix` lets SQLite start the walk in the primary key's index; substr() ends it at the prefix.
    const from = opts.after !== undefined && opts.after > prefix ? opts.after : prefix;
    const rows = this.query<{ key: string; expires_at: number | null }>(
      `SELECT key, expires_at FROM kv
       WHERE key >= ? AND key != ? AND substr(key, 1, ?) = ? AND (expires_at IS NULL OR expires_at > ?)
       ORDER BY key LIMIT ?`,
      from,
      opts.after ?? '',
      prefix.length,
      prefix,
      this.now(),
      listLimit(opts.limit),
    );
    return rows.map((r) => ({ key: r.key, expiresAt: r.expires_at ?? undefined }));
  }

  /** Releases the database (a Durable Object's outlives this object: closing then only stops its use). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /** Use after close is a bug in the caller's shutdown order; fail loudly, as the other stores do. */
  private query<T = Record<string, SqlValue>>(sql: string, ...params: SqlValue[]): T[] {
    if (this.closed) throw new Error('store: the store is closed');
    return this.db.query<T>(sql, ...params);
  }

  private transaction<T>(fn: () => T): T {
    if (this.closed) throw new Error('store: the store is closed');
    return this.db.transaction(fn);
  }

  private indexMachines(op: Operation): void {
    for (const t of op.targets) {
      this.query(
        'INSERT INTO operation_machines (operation_id, system_id, hostname) VALUES (?, ?, ?)',
        op.id,
        t.system_id,
        t.hostname,
      );
    }
  }
}

function columns(op: Operation): SqlValue[] {
  return [
    op.id,
    op.state,
    op.kind,
    op.requester.principal,
    op.created_at,
    op.updated_at,
    op.finished_at,
    op.notice_sent_at,
    op.version,
    JSON.stringify(op),
  ];
}

function operation(row: OperationRow): Operation {
  const op = parseRow(Operation, json(row.data, 'operations', row.id), 'operations', row.id);
  if (op.id !== row.id)
    throw new StoreDataError('operations', row.id, `its data names id ${JSON.stringify(op.id)}`);
  return op;
}

function cluster(row: ClusterRow): ClusterRecord {
  const c = parseRow(ClusterRecord, json(row.data, 'clusters', row.name), 'clusters', row.name);
  if (c.name !== row.name)
    throw new StoreDataError('clusters', row.name, `its data names cluster ${JSON.stringify(c.name)}`);
  return c;
}
