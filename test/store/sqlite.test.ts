import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultDbPath, MIGRATIONS, SqliteStore } from '../../src/node/sqlite-store.ts';
import { StoreDataError } from '../../src/store/shared.ts';
import { storeConformance } from './conformance.ts';
import { makeAudit, makeConfirmation, makeOperation, T0 } from './factory.ts';

const dir = mkdtempSync(join(tmpdir(), 'maas-mcp-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `store-${++files}.db`);

/** A second, plain connection: what another process or the sqlite3 CLI would see. */
function withRaw<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
const versions = (path: string) =>
  withRaw(path, (db) => db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all());
const tables = (path: string) =>
  withRaw(path, (db) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all());

storeConformance('SqliteStore in memory', (now) => SqliteStore.open(':memory:', { now }));
storeConformance('SqliteStore in a file', (now) => SqliteStore.open(newFile(), { now }));

describe('SqliteStore migrations', () => {
  const all = MIGRATIONS.map((m) => m.version);

  it('applies every migration to a fresh database', async () => {
    const path = newFile();
    await SqliteStore.open(path).close();
    expect(versions(path)).toEqual(all);
    expect(tables(path)).toEqual(
      expect.arrayContaining([
        'operations',
        'operation_machines',
        'confirmations',
        'audit',
        'audit_machines',
        'kv',
      ]),
    );
  });

  it('upgrades a database made by an older version, keeping its data', async () => {
    const path = newFile();
    const old = SqliteStore.open(path, { migrations: MIGRATIONS.slice(0, 2) });
    const op = makeOperation();
    await old.createOperation(op);
    await old.close();
    expect(tables(path)).not.toContain('audit');

    const store = SqliteStore.open(path);
    expect(await store.getOperation(op.id)).toEqual(op);
    expect(await store.appendAudit(makeAudit())).toBe(1);
    await store.close();
    expect(versions(path)).toEqual(all);
  });

  it('reopens an up-to-date database without running migrations again', async () => {
    const path = newFile();
    await SqliteStore.open(path, { now: () => 111 }).close();
    await SqliteStore.open(path, { now: () => 222 }).close();
    const applied = withRaw(path, (db) =>
      db.prepare('SELECT applied_at FROM schema_migrations').pluck().all(),
    );
    expect(applied).toEqual(all.map(() => 111));
  });

  it('refuses a database written by a newer maas-mcp', async () => {
    const path = newFile();
    await SqliteStore.open(path).close();
    expect(() => SqliteStore.open(path, { migrations: MIGRATIONS.slice(0, 3) })).toThrow(
      /newer than this maas-mcp/,
    );
  });

  it('rolls back every pending migration when one fails', async () => {
    const path = newFile();
    await SqliteStore.open(path, { migrations: MIGRATIONS.slice(0, 2) }).close();
    const broken = { version: 99, name: 'broken', sql: 'CREATE TABLE half (x); THIS IS NOT SQL;' };
    expect(() => SqliteStore.open(path, { migrations: [...MIGRATIONS, broken] })).toThrow();
    expect(versions(path)).toEqual([1, 2]);
    expect(tables(path)).not.toContain('audit');
    expect(tables(path)).not.toContain('half');
  });

  it('refuses a migration list that is out of order', () => {
    const [first, second] = MIGRATIONS;
    expect(() => SqliteStore.open(':memory:', { migrations: [second!, first!] })).toThrow(/must increase/);
  });
});

describe('SqliteStore on disk', () => {
  it('uses write-ahead logging', async () => {
    const path = newFile();
    await SqliteStore.open(path).close();
    expect(withRaw(path, (db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
  });

  it('refuses to update or delete audit rows, even from another connection', async () => {
    const path = newFile();
    const store = SqliteStore.open(path);
    await store.appendAudit(makeAudit());
    withRaw(path, (db) => {
      for (const sql of [
        "UPDATE audit SET detail = 'rewritten'",
        'DELETE FROM audit',
        "UPDATE audit_machines SET hostname = 'other'",
        'DELETE FROM audit_machines',
      ]) {
        expect(() => db.exec(sql)).toThrow('audit log is append-only');
      }
    });
    expect(await store.listAudit({ machine: 'web-01' })).toEqual([{ ...makeAudit(), id: 1 }]);
    await store.close();
  });

  it('resumes operations, notices, confirmations, audit and values after a restart', async () => {
    const path = newFile();
    const first = SqliteStore.open(path);
    const running = makeOperation({ created_at: T0 });
    const done = makeOperation({ created_at: T0 + 1, state: 'succeeded' });
    const noticed = makeOperation({ created_at: T0 + 2, state: 'failed' });
    for (const op of [running, done, noticed]) await first.createOperation(op);
    const updated = await first.updateOperation({ ...running, summary: 'deploy 1 machine (noble)' });
    await first.claimNotice(noticed.id, T0 + 3, T0 + 100);
    await first.settleNotice(noticed.id, { sentAt: T0 + 3 });
    // A lease held by a process that died (never settled): after a restart it runs out and the notice is due.
    const leased = makeOperation({ created_at: T0 + 4, state: 'succeeded' });
    await first.createOperation(leased);
    await first.claimNotice(leased.id, T0 + 4, T0 + 100);
    const c = makeConfirmation();
    await first.putConfirmation(c);
    await first.appendAudit(makeAudit());
    await first.setValue('cursor', '42', T0 + 60_000);
    await first.close();

    const again = SqliteStore.open(path, { now: () => T0 });
    expect(await again.runningOperations()).toEqual([updated]);
    expect((await again.unnoticedOperations(T0 + 99)).map((o) => o.id)).toEqual([done.id]);
    expect((await again.unnoticedOperations(T0 + 100)).map((o) => o.id)).toEqual([done.id, leased.id]);
    expect(await again.claimNotice(noticed.id, T0 + 4, T0 + 200)).toBe(false);
    expect(await again.getConfirmation(c.token_hash)).toEqual(c);
    expect(await again.getValue('cursor')).toBe('42');
    expect(await again.appendAudit(makeAudit())).toBe(2);
    await again.close();
  });

  it('overwrites what is deleted (secure_delete): the bytes do not stay in the file', async () => {
    const path = newFile();
    const mark = 'deleted-value-that-must-not-linger-0123456789';
    const first = SqliteStore.open(path);
    await first.setValue('k', mark.repeat(4));
    await first.close();
    expect(readFileSync(path).toString('latin1')).toContain(mark);
    const again = SqliteStore.open(path);
    await again.deleteValue('k');
    await again.close();
    expect(readFileSync(path).toString('latin1')).not.toContain(mark);
  });

  it('sweeps expired values when one is added, so values written once and never read do not pile up', async () => {
    const path = newFile();
    let now = T0;
    const store = SqliteStore.open(path, { now: () => now });
    for (let i = 0; i < 20; i++) await store.addValue(`slack:seen:${i}`, '1', T0 + 1_000);
    await store.setValue('kept', 'forever');
    const rows = () => withRaw(path, (db) => db.prepare('SELECT COUNT(*) FROM kv').pluck().get());
    expect(rows()).toBe(21);
    now = T0 + 1_000;
    await store.addValue('slack:seen:new', '1', T0 + 2_000);
    expect(rows()).toBe(2);
    await store.close();
  });

  it('keeps the sent notice time an integer inside the stored record', async () => {
    const path = newFile();
    const store = SqliteStore.open(path);
    const op = makeOperation({ state: 'succeeded' });
    await store.createOperation(op);
    expect(await store.claimNotice(op.id, T0 + 1, T0 + 100)).toBe(true);
    await store.settleNotice(op.id, { sentAt: T0 + 1 });
    const data = withRaw(path, (db) =>
      db.prepare<[string], string>('SELECT data FROM operations WHERE id = ?').pluck().get(op.id),
    );
    expect(data).toContain(`"notice_sent_at":${T0 + 1}`);
    expect(data).not.toContain(`"notice_sent_at":${T0 + 1}.0`);
    await store.close();
  });

  it('names the table and row of a corrupt operation', async () => {
    const path = newFile();
    const store = SqliteStore.open(path);
    const op = makeOperation();
    await store.createOperation(op);
    withRaw(path, (db) => db.prepare("UPDATE operations SET data = '{not json' WHERE id = ?").run(op.id));
    await expect(store.getOperation(op.id)).rejects.toThrow(
      new RegExp(`operations row "${op.id}" is corrupt: invalid JSON`),
    );
    const wrongState = JSON.stringify({ ...op, state: 'exploded' });
    withRaw(path, (db) => db.prepare('UPDATE operations SET data = ? WHERE id = ?').run(wrongState, op.id));
    await expect(store.listOperations()).rejects.toThrow(StoreDataError);
    await expect(store.listOperations()).rejects.toThrow(/operations row "op-\d+" is corrupt: state/);
    await store.close();
  });

  it('names the table and row of a corrupt audit record', async () => {
    const path = newFile();
    const store = SqliteStore.open(path);
    withRaw(path, (db) =>
      db.exec(`INSERT INTO audit (at, principal, via, tool, result, detail, operation_id, targets, args)
               VALUES (1, 'alice', 'mcp', 'machine_deploy', 'ok', 'x', NULL, '[]', '{oops')`),
    );
    await expect(store.listAudit()).rejects.toThrow(/audit row "1" is corrupt: invalid JSON/);
    await store.close();
  });

  it('creates missing parent directories', async () => {
    const path = join(dir, 'nested', 'deeper', 'maas-mcp.db');
    await SqliteStore.open(path).close();
    expect(existsSync(path)).toBe(true);
  });
});

describe('defaultDbPath', () => {
  it('uses XDG_DATA_HOME on Linux', () => {
    expect(defaultDbPath({ XDG_DATA_HOME: '/data', HOME: '/home/al' }, 'linux')).toBe(
      '/data/maas-mcp/maas-mcp.db',
    );
  });

  it('falls back to ~/.local/share on Linux, ignoring a relative XDG_DATA_HOME', () => {
    const expected = '/home/al/.local/share/maas-mcp/maas-mcp.db';
    expect(defaultDbPath({ HOME: '/home/al' }, 'linux')).toBe(expected);
    expect(defaultDbPath({ HOME: '/home/al', XDG_DATA_HOME: 'rel' }, 'linux')).toBe(expected);
    expect(defaultDbPath({ HOME: '/home/al' }, 'freebsd')).toBe(expected);
  });

  it('uses ~/Library/Application Support on macOS', () => {
    expect(defaultDbPath({ HOME: '/Users/al' }, 'darwin')).toBe(
      '/Users/al/Library/Application Support/maas-mcp/maas-mcp.db',
    );
  });

  it('uses %APPDATA% on Windows', () => {
    expect(defaultDbPath({ APPDATA: 'C:\\Users\\al\\AppData\\Roaming' }, 'win32')).toBe(
      'C:\\Users\\al\\AppData\\Roaming\\maas-mcp\\maas-mcp.db',
    );
    expect(defaultDbPath({ USERPROFILE: 'C:\\Users\\al' }, 'win32')).toBe(
      'C:\\Users\\al\\AppData\\Roaming\\maas-mcp\\maas-mcp.db',
    );
  });

  it('uses the home directory when HOME is unset', () => {
    expect(defaultDbPath({}, 'linux')).toBe(join(homedir(), '.local/share/maas-mcp/maas-mcp.db'));
  });
});
