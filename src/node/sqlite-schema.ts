/**
 * Runs the shared migrations (src/store/schema.ts) on a better-sqlite3 database, all in one transaction.
 */
import type Database from 'better-sqlite3';
import type { Migration } from '../store/schema.ts';

export { MIGRATIONS, type Migration } from '../store/schema.ts';

/**
 * Brings `db` up to the last of `migrations`. Refuses a database written by a newer maas-mcp rather than
 * running against a schema it does not know.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[], now: number): void {
  let last = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= last) {
      throw new Error(`store: migration versions must increase; ${m.version} (${m.name}) follows ${last}`);
    }
    last = m.version;
  }
  // IMMEDIATE takes the write lock before reading, so two processes opening one file cannot both migrate.
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const applied = new Set(db.prepare<[], number>('SELECT version FROM schema_migrations').pluck().all());
    const newest = Math.max(0, ...applied);
    if (newest > last) {
      throw new Error(
        `store: the database is at schema version ${newest}, newer than this maas-mcp knows (${last}); upgrade maas-mcp`,
      );
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, now);
    }
  }).immediate();
}
