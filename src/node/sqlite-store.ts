/**
 * The Node Store: one SQLite file (better-sqlite3), so a restarted server resumes its operations and keeps its
 * audit log. Node-only; the Workers build never imports it.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, posix, win32 } from 'node:path';
import Database from 'better-sqlite3';
import {
  anyOf,
  checkAudit,
  checkConfirmation,
  checkOperation,
  pageOf,
  parseRow,
  StoreDataError,
} from '../store/shared.ts';
import {
  type AuditFilter,
  AuditRecord,
  Confirmation,
  FINAL_STATES,
  type NewAuditRecord,
  Operation,
  type OperationFilter,
  type Store,
} from '../store/types.ts';
import { MIGRATIONS, type Migration, migrate } from './sqlite-schema.ts';

export { MIGRATIONS, type Migration } from './sqlite-schema.ts';

const FILE = 'maas-mcp.db';

/** Where the database lives by default: the user's data directory for the platform. */
export function defaultDbPath(env: NodeJS.ProcessEnv, platform: string = process.platform): string {
  const home = () => env.HOME || homedir();
  if (platform === 'win32') {
    const appData = env.APPDATA || win32.join(env.USERPROFILE || homedir(), 'AppData', 'Roaming');
    return win32.join(appData, 'maas-mcp', FILE);
  }
  if (platform === 'darwin') return posix.join(home(), 'Library', 'Application Support', 'maas-mcp', FILE);
  // XDG: a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME?.startsWith('/') ? env.XDG_DATA_HOME : posix.join(home(), '.local', 'share');
  return posix.join(xdg, 'maas-mcp', FILE);
}

export interface SqliteStoreOptions {
  now?: () => number;
  /** The schema to bring the file up to; tests pass a prefix of {@link MIGRATIONS} to make an old database. */
  migrations?: readonly Migration[];
}

interface OperationRow {
  id: string;
  data: string;
}
interface ConfirmationRow extends Omit<Confirmation, 'targets'> {
  targets: string;
}
interface AuditRow extends Omit<AuditRecord, 'targets' | 'args'> {
  targets: string;
  args: string;
}

const FINAL = [...FINAL_STATES];

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

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** A {@link Store} in one SQLite file (or `:memory:`). */
export class SqliteStore implements Store {
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
  ) {}

  /** Opens (creating it and its directory if needed) and migrates the database at `path`. */
  static open(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
    const now = opts.now ?? (() => Date.now());
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      // WAL lets readers (a second process, the sqlite3 CLI) work while the poller writes.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      migrate(db, opts.migrations ?? MIGRATIONS, now());
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteStore(db, now);
  }

  async createOperation(op: Operation): Promise<void> {
    const valid = checkOperation(op);
    this.db
      .transaction(() => {
        const inserted = this.sql(
          `INSERT INTO operations (id, state, kind, principal, created_at, updated_at, finished_at,
             notice_sent_at, version, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        ).run(...this.columns(valid));
        if (inserted.changes !== 1)
          throw new Error(`store: operation ${JSON.stringify(valid.id)} already exists`);
        this.indexMachines(valid);
      })
      .immediate();
  }

  async getOperation(id: string): Promise<Operation | undefined> {
    const row = this.sql('SELECT id, data FROM operations WHERE id = ?').get(id) as OperationRow | undefined;
    return row && this.operation(row);
  }

  async updateOperation(op: Operation): Promise<Operation | undefined> {
    const valid = checkOperation(op);
    return this.db
      .transaction(() => {
        const current = this.sql('SELECT notice_sent_at FROM operations WHERE id = ? AND version = ?').get(
          valid.id,
          valid.version,
        ) as { notice_sent_at: number | null } | undefined;
        if (!current) return undefined;
        // A claimed notice stays claimed even if the caller's copy predates the claim: it must never go out twice.
        const stored: Operation = {
          ...valid,
          version: valid.version + 1,
          notice_sent_at: current.notice_sent_at ?? valid.notice_sent_at,
        };
        const [id, ...rest] = this.columns(stored);
        const changed = this.sql(
          `UPDATE operations SET state = ?, kind = ?, principal = ?, created_at = ?, updated_at = ?,
             finished_at = ?, notice_sent_at = ?, version = ?, data = ? WHERE id = ? AND version = ?`,
        ).run(...rest, id, valid.version);
        if (changed.changes !== 1) return undefined;
        this.sql('DELETE FROM operation_machines WHERE operation_id = ?').run(valid.id);
        this.indexMachines(stored);
        return stored;
      })
      .immediate();
  }

  async listOperations(filter: OperationFilter = {}): Promise<Operation[]> {
    const where: string[] = [];
    const params: unknown[] = [];
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
    const { limit, offset } = pageOf(filter);
    // rowid breaks ties between operations created in the same millisecond: insertion order.
    const rows = this.sql(
      `SELECT id, data FROM operations ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
    ).all(...params, limit, offset) as OperationRow[];
    return rows.map((r) => this.operation(r));
  }

  async runningOperations(): Promise<Operation[]> {
    const rows = this.sql(
      "SELECT id, data FROM operations WHERE state = 'running' ORDER BY created_at, rowid",
    ).all() as OperationRow[];
    return rows.map((r) => this.operation(r));
  }

  async claimNotice(id: string, at: number): Promise<boolean> {
    const r = this.sql(
      `UPDATE operations SET notice_sent_at = ?, data = json_set(data, '$.notice_sent_at', ?)
       WHERE id = ? AND notice_sent_at IS NULL`,
    ).run(at, at, id);
    return r.changes === 1;
  }

  async unnoticedOperations(): Promise<Operation[]> {
    const rows = this.sql(
      `SELECT id, data FROM operations WHERE notice_sent_at IS NULL AND state IN (${placeholders(FINAL.length)})
       ORDER BY created_at, rowid`,
    ).all(...FINAL) as OperationRow[];
    return rows.map((r) => this.operation(r));
  }

  async putConfirmation(c: Confirmation): Promise<void> {
    const v = checkConfirmation(c);
    // Replacing a confirmation could reset `used_at` and let a token be replayed, so a duplicate is refused.
    const r = this.sql(
      `INSERT INTO confirmations (token_hash, tool, args_hash, principal, targets, created_at, expires_at, used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (token_hash) DO NOTHING`,
    ).run(
      v.token_hash,
      v.tool,
      v.args_hash,
      v.principal,
      JSON.stringify(v.targets),
      v.created_at,
      v.expires_at,
      v.used_at,
    );
    if (r.changes !== 1) throw new Error('store: confirmation already exists');
  }

  async getConfirmation(tokenHash: string): Promise<Confirmation | undefined> {
    const row = this.sql('SELECT * FROM confirmations WHERE token_hash = ?').get(tokenHash) as
      | ConfirmationRow
      | undefined;
    if (!row) return undefined;
    const value = { ...row, targets: json(row.targets, 'confirmations', row.token_hash) };
    return parseRow(Confirmation, value, 'confirmations', row.token_hash);
  }

  async useConfirmation(tokenHash: string, at: number): Promise<boolean> {
    const r = this.sql('UPDATE confirmations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL').run(
      at,
      tokenHash,
    );
    return r.changes === 1;
  }

  async purgeConfirmations(before: number): Promise<number> {
    return this.sql('DELETE FROM confirmations WHERE expires_at < ?').run(before).changes;
  }

  async appendAudit(rec: NewAuditRecord): Promise<number> {
    const v = checkAudit(rec);
    return this.db
      .transaction(() => {
        const r = this.sql(
          `INSERT INTO audit (at, principal, via, tool, result, detail, operation_id, targets, args)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
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
        const id = Number(r.lastInsertRowid);
        const index = this.sql('INSERT INTO audit_machines (audit_id, system_id, hostname) VALUES (?, ?, ?)');
        for (const t of v.targets) index.run(id, t.system_id, t.hostname);
        return id;
      })
      .immediate();
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, ...values: unknown[]) => {
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
    const { limit, offset } = pageOf(filter);
    const rows = this.sql(
      `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`,
    ).all(...params, limit, offset) as AuditRow[];
    return rows.map((row) => {
      const value = {
        ...row,
        targets: json(row.targets, 'audit', row.id),
        args: json(row.args, 'audit', row.id),
      };
      return parseRow(AuditRecord, value, 'audit', row.id);
    });
  }

  async getValue(key: string): Promise<string | undefined> {
    const row = this.sql('SELECT value, expires_at FROM kv WHERE key = ?').get(key) as
      | { value: string; expires_at: number | null }
      | undefined;
    if (!row) return undefined;
    if (row.expires_at !== null && this.now() >= row.expires_at) {
      this.sql('DELETE FROM kv WHERE key = ? AND expires_at = ?').run(key, row.expires_at);
      return undefined;
    }
    return row.value;
  }

  async setValue(key: string, value: string, expiresAt?: number): Promise<void> {
    this.sql(
      `INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    ).run(key, value, expiresAt ?? null);
  }

  async deleteValue(key: string): Promise<void> {
    this.sql('DELETE FROM kv WHERE key = ?').run(key);
  }

  async close(): Promise<void> {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }

  /** Prepared once per SQL text: list queries vary only by which filters are present. */
  private sql(text: string): Database.Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  private columns(op: Operation): unknown[] {
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

  private indexMachines(op: Operation): void {
    const insert = this.sql(
      'INSERT INTO operation_machines (operation_id, system_id, hostname) VALUES (?, ?, ?)',
    );
    for (const t of op.targets) insert.run(op.id, t.system_id, t.hostname);
  }

  private operation(row: OperationRow): Operation {
    const op = parseRow(Operation, json(row.data, 'operations', row.id), 'operations', row.id);
    if (op.id !== row.id)
      throw new StoreDataError('operations', row.id, `its data names id ${JSON.stringify(op.id)}`);
    return op;
  }
}
