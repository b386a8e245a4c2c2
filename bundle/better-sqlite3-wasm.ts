/**
 * The part of better-sqlite3's API that src/node/sqlite-store.ts uses, over node-sqlite3-wasm: SQLite compiled to
 * WebAssembly, reading and writing the database file through Node's `fs`. The Claude Desktop bundle resolves
 * `better-sqlite3` to this file (scripts/bundle.ts), so the store's code is the same as the CLI's while the bundle
 * carries no native `.node` module: a native module is built for one platform and one Node ABI, and the host's
 * Node (Claude Desktop's own) is neither known nor ours to choose.
 *
 * Differences that matter, and what this file does about them:
 * - no shared memory, so no WAL: `journal_mode = WAL` leaves the rollback journal (SQLite answers "delete");
 * - locking is a `<file>.lock` directory instead of POSIX locks, so it does not exclude a better-sqlite3 process on
 *   the same file: the bundle keeps its own file (bundle/server.ts). A lock left by a process that was killed in the
 *   middle of a statement would refuse every later open: one older than {@link STALE_LOCK_MS} is removed on open;
 * - errors carry no `code`: SQLite's message is mapped back to the codes better-sqlite3 sets, which
 *   src/node/store-open.ts turns into a readable line.
 */
import { rmdirSync, statSync } from 'node:fs';
import wasm, { type Database as WasmDatabase, type Statement as WasmStatement } from 'node-sqlite3-wasm';

type Value = ArrayBuffer | Uint8Array | string | number | bigint | null;
type Row = Record<string, unknown>;

/**
 * A statement holds the lock for as long as it runs: milliseconds here (every store method is one short
 * synchronous transaction). A lock this old belongs to a process that no longer runs.
 */
export const STALE_LOCK_MS = 30_000;

/** SQLite's own error texts (sqlite3_errstr) and the code better-sqlite3 would have set for each. */
const CODES: readonly [RegExp, string][] = [
  [/file is not a database/i, 'SQLITE_NOTADB'],
  [/database is locked/i, 'SQLITE_BUSY'],
  [/database table is locked/i, 'SQLITE_LOCKED'],
  [/readonly database/i, 'SQLITE_READONLY'],
  [/could not open the database|unable to open database file/i, 'SQLITE_CANTOPEN'],
  [/disk I\/O error/i, 'SQLITE_IOERR'],
  [/constraint failed/i, 'SQLITE_CONSTRAINT'],
];

/** An error as better-sqlite3 throws it: SQLite's message and a `code` such as SQLITE_BUSY. */
export class SqliteError extends Error {
  override name = 'SqliteError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function translated(err: unknown): unknown {
  if (!(err instanceof wasm.SQLite3Error)) return err;
  const code = CODES.find(([re]) => re.test(err.message))?.[1] ?? 'SQLITE_ERROR';
  return new SqliteError(err.message, code);
}

function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw translated(err);
  }
}

const binding = (params: readonly Value[]) =>
  params.map((p) => (p instanceof ArrayBuffer ? new Uint8Array(p) : p));

/** Removes the lock directory of `path` when it is older than {@link STALE_LOCK_MS}. */
function clearStaleLock(path: string, now = Date.now()): void {
  const lock = `${path}.lock`;
  try {
    if (now - statSync(lock).mtimeMs > STALE_LOCK_MS) rmdirSync(lock);
  } catch {
    // No lock (the usual case), or another process just released or removed it.
  }
}

export class Statement {
  /**
   * better-sqlite3 tells reads from writes here; node-sqlite3-wasm's `all` runs a write too (and returns its
   * RETURNING rows, or none), so every statement can be read.
   */
  readonly reader = true;

  constructor(private readonly stmt: WasmStatement) {}

  all(...params: Value[]): Row[] {
    return guarded(() => this.stmt.all(binding(params)) as Row[]);
  }

  run(...params: Value[]): { changes: number; lastInsertRowid: number | bigint } {
    return guarded(() => this.stmt.run(binding(params)));
  }

  finalize(): void {
    if (!this.stmt.isFinalized) this.stmt.finalize();
  }
}

export default class Database {
  private readonly db: WasmDatabase;
  /** node-sqlite3-wasm frees a statement only when told: every one is finalized on close. */
  private readonly statements = new Set<Statement>();
  private savepoints = 0;

  constructor(path: string) {
    if (path !== ':memory:' && path !== '') clearStaleLock(path);
    this.db = guarded(() => new wasm.Database(path));
  }

  get open(): boolean {
    return this.db.isOpen;
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  /** `PRAGMA <source>`; its rows. */
  pragma(source: string): Row[] {
    return guarded(() => this.db.all(`PRAGMA ${source}`) as Row[]);
  }

  prepare(sql: string): Statement {
    const stmt = new Statement(guarded(() => this.db.prepare(sql)));
    this.statements.add(stmt);
    return stmt;
  }

  exec(sql: string): this {
    guarded(() => this.db.exec(sql));
    return this;
  }

  /**
   * `fn` wrapped as better-sqlite3 wraps it: `.immediate(...)` runs it inside BEGIN IMMEDIATE … COMMIT (ROLLBACK
   * when it throws); inside a running transaction it becomes a savepoint.
   */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): { immediate(...args: A): T } {
    return { immediate: (...args: A) => this.inside('BEGIN IMMEDIATE', () => fn(...args)) };
  }

  private inside<T>(begin: string, fn: () => T): T {
    const nested = this.db.inTransaction;
    const name = `s${++this.savepoints}`;
    this.exec(nested ? `SAVEPOINT ${name}` : begin);
    let result: T;
    try {
      result = fn();
      if (result && typeof (result as { then?: unknown }).then === 'function') {
        throw new TypeError('Transaction function cannot return a promise');
      }
    } catch (err) {
      if (this.db.inTransaction) this.exec(nested ? `ROLLBACK TO ${name}; RELEASE ${name}` : 'ROLLBACK');
      throw err;
    } finally {
      this.savepoints--;
    }
    this.exec(nested ? `RELEASE ${name}` : 'COMMIT');
    return result;
  }

  close(): this {
    for (const stmt of this.statements) stmt.finalize();
    this.statements.clear();
    if (this.db.isOpen) guarded(() => this.db.close());
    return this;
  }
}
