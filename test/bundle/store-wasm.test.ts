/**
 * The Claude Desktop bundle's store: src/node/sqlite-store.ts unchanged, with `better-sqlite3` resolved to
 * bundle/better-sqlite3-wasm.ts as the bundle resolves it (SQLite in WebAssembly, no native module).
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { STALE_LOCK_MS } from '../../bundle/better-sqlite3-wasm.ts';
import { SqliteStore } from '../../src/node/sqlite-store.ts';
import { openNodeStore } from '../../src/node/store-open.ts';
import { storeConformance } from '../store/conformance.ts';
import { makeAudit, makeOperation } from '../store/factory.ts';

vi.mock('better-sqlite3', () => import('../../bundle/better-sqlite3-wasm.ts'));

const dir = mkdtempSync(join(tmpdir(), 'maas-mcp-wasm-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `store-${++files}.db`);

storeConformance('SqliteStore over SQLite in WebAssembly, in memory', (now) =>
  SqliteStore.open(':memory:', { now }),
);
storeConformance('SqliteStore over SQLite in WebAssembly, in a file', (now) =>
  SqliteStore.open(newFile(), { now }),
);

describe('the bundle store on disk', () => {
  it('keeps operations and the audit log across a restart, in a file native SQLite reads', async () => {
    const path = newFile();
    const first = SqliteStore.open(path);
    const op = makeOperation();
    await first.createOperation(op);
    await first.appendAudit(makeAudit());
    await first.close();

    const again = SqliteStore.open(path);
    expect(await again.getOperation(op.id)).toEqual(op);
    await again.close();

    const { default: Native } = await vi.importActual<{ default: typeof BetterSqlite3 }>('better-sqlite3');
    const raw = new Native(path, { readonly: true });
    try {
      expect(raw.prepare('SELECT count(*) AS n FROM audit').get()).toEqual({ n: 1 });
    } finally {
      raw.close();
    }
  });

  it('opens a database whose lock a killed process left behind', async () => {
    const path = newFile();
    await SqliteStore.open(path).close();
    mkdirSync(`${path}.lock`);
    const old = (Date.now() - STALE_LOCK_MS - 5_000) / 1000;
    utimesSync(`${path}.lock`, old, old);
    const store = SqliteStore.open(path);
    await store.createOperation(makeOperation());
    await store.close();
  });

  it('refuses a database another process is writing, in one line saying so', async () => {
    const path = newFile();
    await SqliteStore.open(path).close();
    mkdirSync(`${path}.lock`);
    try {
      expect(() => openNodeStore(path, {})).toThrow(
        `MAAS_MCP_DB=${path}: the database is locked by another process; stop it or use another file`,
      );
    } finally {
      rmSync(`${path}.lock`, { recursive: true });
    }
  });

  it('names a file that is not a database as such', () => {
    const path = newFile();
    writeFileSync(path, 'not a database '.repeat(100));
    expect(() => openNodeStore(path, {})).toThrow(`MAAS_MCP_DB=${path}: that file is not a SQLite database`);
  });
});

describe('transactions over SQLite in WebAssembly', () => {
  it('commits all of a transaction, or none of it when it throws; a nested one is a savepoint', async () => {
    const { default: Database } = await import('../../bundle/better-sqlite3-wasm.ts');
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE t (v TEXT)');
      const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
      const values = () => db.prepare('SELECT v FROM t ORDER BY rowid').all();
      expect(() =>
        db
          .transaction(() => {
            insert.run('lost');
            throw new Error('half-way');
          })
          .immediate(),
      ).toThrow('half-way');
      expect(values()).toEqual([]);

      db.transaction(() => {
        insert.run('outer');
        expect(() =>
          db
            .transaction(() => {
              insert.run('inner');
              throw new Error('inner fails');
            })
            .immediate(),
        ).toThrow('inner fails');
        insert.run('after');
      }).immediate();
      expect(values()).toEqual([{ v: 'outer' }, { v: 'after' }]);
      expect(db.inTransaction).toBe(false);
    } finally {
      db.close();
    }
    expect(db.open).toBe(false);
  });
});
