/**
 * The Workers Store: SQLite inside a Durable Object (`ctx.storage.sql`), the same {@link SqlStore} as Node's over
 * a driver of three lines. Runtime-neutral on purpose — the SQL API is typed here by the few members it uses — so
 * it type-checks without Workers types.
 */
import { type SqlDriver, SqlStore, type SqlStoreOptions, type SqlValue } from './sql.ts';

export { MIGRATIONS, type Migration, type SqlValue } from './sql.ts';

/** The part of a Durable Object's `SqlStorageCursor` this store reads. */
export interface SqlCursor<T> {
  toArray(): T[];
}

/** The part of a Durable Object's `ctx.storage` this store needs: `sql.exec` and `transactionSync`. */
export interface DurableSqlStorage {
  sql: {
    exec<T extends Record<string, SqlValue>>(query: string, ...bindings: SqlValue[]): SqlCursor<T>;
  };
  transactionSync<T>(fn: () => T): T;
}

export type DurableSqlStoreOptions = SqlStoreOptions;

/** The Durable Object's database as a {@link SqlDriver}. */
export function durableDriver(storage: DurableSqlStorage): SqlDriver {
  return {
    query: <T>(sql: string, ...params: SqlValue[]) => storage.sql.exec(sql, ...params).toArray() as T[],
    script: (sql) => {
      storage.sql.exec(sql);
    },
    transaction: (fn) => storage.transactionSync(fn),
    // The database belongs to the Durable Object and outlives the store: closing only stops its use.
    close: () => {},
  };
}

/**
 * A Store in a Durable Object's SQLite database. It migrates the database (cheap when it is current), so
 * construct it once per Durable Object instance.
 */
export class DurableSqlStore extends SqlStore {
  constructor(storage: DurableSqlStorage, opts: DurableSqlStoreOptions = {}) {
    super(durableDriver(storage), opts);
  }
}
