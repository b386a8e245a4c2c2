/**
 * The Node Store: one SQLite file (better-sqlite3), so a restarted server resumes its operations and keeps its
 * audit log. The SQL itself is shared with the Workers store (src/store/sql.ts); this file opens the file and
 * adapts better-sqlite3 to a {@link SqlDriver}. Node-only; the Workers build never imports it.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, posix, win32 } from 'node:path';
import Database from 'better-sqlite3';
import { type SqlDriver, SqlStore, type SqlStoreOptions, type SqlValue } from '../store/sql.ts';

export { MIGRATIONS, type Migration } from '../store/sql.ts';

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

export type SqliteStoreOptions = SqlStoreOptions;

/** A better-sqlite3 database as a {@link SqlDriver}. */
function sqliteDriver(db: Database.Database): SqlDriver {
  // Prepared once per SQL text: list queries vary only by which filters are present.
  const statements = new Map<string, Database.Statement<SqlValue[]>>();
  return {
    query<T>(sql: string, ...params: SqlValue[]): T[] {
      let stmt = statements.get(sql);
      if (!stmt) {
        stmt = db.prepare<SqlValue[]>(sql);
        statements.set(sql, stmt);
      }
      // better-sqlite3 refuses .all() on a statement that returns no rows (a write without RETURNING).
      if (stmt.reader) return stmt.all(...params) as T[];
      stmt.run(...params);
      return [];
    },
    script: (sql) => {
      db.exec(sql);
    },
    // IMMEDIATE takes the write lock before reading, so two processes cannot interleave read-then-write steps
    // (two processes opening one file cannot both migrate it).
    transaction: (fn) => db.transaction(fn).immediate(),
    close: () => {
      statements.clear();
      if (db.open) db.close();
    },
  };
}

/** A Store in one SQLite file (or `:memory:`). */
export class SqliteStore extends SqlStore {
  /** Opens (creating it and its directory if needed) and migrates the database at `path`. */
  static open(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      // WAL lets readers (a second process, the sqlite3 CLI) work while the poller writes.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      // Deleted rows are overwritten, not left in free pages: what expired (a confirmation, a remembered Slack
      // request) does not linger in the file. (A Durable Object refuses this pragma; nothing secret is stored
      // in the clear there — see src/slack/sealed.ts.)
      db.pragma('secure_delete = ON');
      return new SqliteStore(sqliteDriver(db), opts);
    } catch (err) {
      db.close();
      throw err;
    }
  }
}
