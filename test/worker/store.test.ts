/**
 * DurableSqlStore inside a real Durable Object's SQLite: the whole Store contract, plus what only SQL can break
 * (migrations, the append-only audit triggers, corrupt rows). Each store gets a Durable Object of its own, and
 * every call runs inside that object, as the Worker's RPC calls do.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DurableSqlStore, type DurableSqlStoreOptions, MIGRATIONS } from '../../src/store/durable.ts';
import type { Store } from '../../src/store/types.ts';
import type { MaasMcpObject } from '../../src/worker/object.ts';
import { storeConformance } from '../store/conformance.ts';
import { makeAudit, makeOperation, T0 } from '../store/factory.ts';

let objects = 0;
const freshObject = () => env.MAAS_MCP.get(env.MAAS_MCP.idFromName(`store-test-${++objects}`));

type Stub = DurableObjectStub<MaasMcpObject>;

/** Runs `fn` with the SQLite storage of the object behind `stub`, inside that object. */
function inObject<T>(stub: Stub, fn: (storage: DurableObjectStorage) => T | Promise<T>): Promise<T> {
  return runInDurableObject(stub, (_o, state) => fn(state.storage));
}

/**
 * A Store whose every call is made inside the Durable Object, on a DurableSqlStore opened there (on the test's
 * clock). Opening migrates the database, so a second store on the same object sees the first one's data.
 */
function storeIn(stub: Stub, opts: DurableSqlStoreOptions = {}): Promise<Store> {
  return inObject(stub, (storage) => {
    const store = new DurableSqlStore(storage, opts);
    return new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          inObject(stub, () => (value as (...a: unknown[]) => unknown).apply(target, args));
      },
    });
  });
}

storeConformance('DurableSqlStore in a Durable Object', (now) => storeIn(freshObject(), { now }));

const tables = (stub: Stub) =>
  inObject(stub, (s) =>
    s.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((r) => r.name),
  );
const versions = (stub: Stub) =>
  inObject(stub, (s) =>
    s.sql
      .exec<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
      .toArray()
      .map((r) => r.version),
  );

describe('DurableSqlStore migrations', () => {
  it('applies every migration to a fresh object', async () => {
    const stub = freshObject();
    await storeIn(stub);
    expect(await versions(stub)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await tables(stub)).toEqual(
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

  it('upgrades an object made by an older version, keeping its data', async () => {
    const stub = freshObject();
    // The object's own constructor migrates to the newest schema; start from an empty database instead.
    await inObject(stub, (s) => s.deleteAll());
    const old = await storeIn(stub, { migrations: MIGRATIONS.slice(0, 2) });
    const op = makeOperation();
    await old.createOperation(op);
    expect(await tables(stub)).not.toContain('audit');
    const store = await storeIn(stub);
    expect(await store.getOperation(op.id)).toEqual(op);
    expect(await store.appendAudit(makeAudit())).toBe(1);
    expect(await versions(stub)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('refuses a database written by a newer maas-mcp', async () => {
    const stub = freshObject();
    await storeIn(stub);
    await expect(storeIn(stub, { migrations: MIGRATIONS.slice(0, 3) })).rejects.toThrow(
      /newer than this maas-mcp/,
    );
  });

  it('rolls back every pending migration when one fails', async () => {
    const stub = freshObject();
    await inObject(stub, (s) => s.deleteAll());
    await storeIn(stub, { migrations: MIGRATIONS.slice(0, 2) });
    const broken = { version: 99, name: 'broken', sql: 'CREATE TABLE half (x); THIS IS NOT SQL;' };
    await expect(storeIn(stub, { migrations: [...MIGRATIONS, broken] })).rejects.toThrow();
    expect(await versions(stub)).toEqual([1, 2]);
    expect(await tables(stub)).not.toContain('half');
    expect(await tables(stub)).not.toContain('audit');
  });
});

describe('DurableSqlStore in SQL', () => {
  it('refuses to update or delete audit rows, even with raw SQL', async () => {
    const stub = freshObject();
    const store = await storeIn(stub);
    await store.appendAudit(makeAudit());
    for (const sql of [
      "UPDATE audit SET detail = 'rewritten'",
      'DELETE FROM audit',
      "UPDATE audit_machines SET hostname = 'other'",
      'DELETE FROM audit_machines',
    ]) {
      await expect(inObject(stub, (s) => s.sql.exec(sql))).rejects.toThrow('audit log is append-only');
    }
    expect(await store.listAudit({ machine: 'web-01' })).toEqual([{ ...makeAudit(), id: 1 }]);
  });

  it('keeps the sent notice time an integer inside the stored record', async () => {
    const stub = freshObject();
    const store = await storeIn(stub);
    const op = makeOperation({ state: 'succeeded' });
    await store.createOperation(op);
    await store.claimNotice(op.id, T0 + 1, T0 + 100);
    await store.settleNotice(op.id, { sentAt: T0 + 1 });
    const data = await inObject(
      stub,
      (s) => s.sql.exec<{ data: string }>('SELECT data FROM operations WHERE id = ?', op.id).one().data,
    );
    expect(data).toContain(`"notice_sent_at":${T0 + 1}`);
  });

  it('names the table and row of a corrupt record', async () => {
    const stub = freshObject();
    const store = await storeIn(stub);
    const op = makeOperation();
    await store.createOperation(op);
    await inObject(stub, (s) => s.sql.exec("UPDATE operations SET data = '{not json' WHERE id = ?", op.id));
    await expect(store.getOperation(op.id)).rejects.toThrow(
      new RegExp(`operations row "${op.id}" is corrupt: invalid JSON`),
    );
  });
});

describe('the Store over RPC (storeCall)', () => {
  it('forwards Store methods and refuses close or anything else on the object', async () => {
    const stub = freshObject();
    const op = makeOperation();
    await stub.storeCall('createOperation', [op]);
    expect(await stub.storeCall('getOperation', [op.id])).toEqual(op);
    // The refusals are checked on the object itself: an error thrown back over RPC is also logged by workerd as
    // an uncaught exception of the callee, which would print a stack trace in every passing run.
    for (const name of ['close', 'alarm', 'kick', 'fetch']) {
      const err = await runInDurableObject(stub, (o) => o.storeCall(name as never, [] as never)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(err)).toMatch(/not a Store method/);
    }
  });
});
