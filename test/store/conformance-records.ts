/** The confirmations, audit and key/value half of the Store contract (README "Safety"). */
import { describe, expect, it } from 'vitest';
import type { AuditFilter, NewAuditRecord } from '../../src/store/types.ts';
import type { GetContext } from './conformance.ts';
import { makeAudit, makeConfirmation, T0 } from './factory.ts';

export function recordsConformance(get: GetContext): void {
  describe('confirmations', () => {
    it('returns a stored confirmation, and undefined for an unknown token', async () => {
      const { store } = get();
      const c = makeConfirmation({
        targets: [
          { system_id: 'a', status: 4 },
          { system_id: 'b', status: 6 },
        ],
      });
      await store.putConfirmation(c);
      expect(await store.getConfirmation(c.token_hash)).toEqual(c);
      expect(await store.getConfirmation('0'.repeat(64))).toBeUndefined();
    });

    it('refuses to replace a confirmation, so a used token cannot be reset', async () => {
      const { store } = get();
      const c = makeConfirmation();
      await store.putConfirmation(c);
      await store.useConfirmation(c.token_hash, T0 + 1);
      await expect(store.putConfirmation(c)).rejects.toThrow(/already exists/);
      expect((await store.getConfirmation(c.token_hash))?.used_at).toBe(T0 + 1);
    });

    it('uses a confirmation only once', async () => {
      const { store } = get();
      const c = makeConfirmation();
      await store.putConfirmation(c);
      expect(await store.useConfirmation(c.token_hash, T0 + 1)).toBe(true);
      expect(await store.useConfirmation(c.token_hash, T0 + 2)).toBe(false);
      expect((await store.getConfirmation(c.token_hash))?.used_at).toBe(T0 + 1);
      expect(await store.useConfirmation('f'.repeat(64), T0)).toBe(false);
    });

    it('uses a confirmation only once under concurrent callers', async () => {
      const { store } = get();
      const c = makeConfirmation();
      await store.putConfirmation(c);
      const wins = await Promise.all(
        Array.from({ length: 10 }, () => store.useConfirmation(c.token_hash, T0)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
    });

    it('purges confirmations that expired before the given time', async () => {
      const { store } = get();
      const old = makeConfirmation({ expires_at: T0 - 1 });
      const older = makeConfirmation({ expires_at: T0 - 1000, used_at: T0 - 2000 });
      const edge = makeConfirmation({ expires_at: T0 });
      const live = makeConfirmation({ expires_at: T0 + 1 });
      for (const c of [old, older, edge, live]) await store.putConfirmation(c);
      expect(await store.purgeConfirmations(T0)).toBe(2);
      expect(await store.getConfirmation(old.token_hash)).toBeUndefined();
      expect(await store.getConfirmation(older.token_hash)).toBeUndefined();
      expect(await store.getConfirmation(edge.token_hash)).toBeDefined();
      expect(await store.getConfirmation(live.token_hash)).toBeDefined();
      expect(await store.purgeConfirmations(T0)).toBe(0);
    });

    it('hands out copies, never its own confirmation objects', async () => {
      const { store } = get();
      const c = makeConfirmation();
      await store.putConfirmation(c);
      c.targets[0]!.status = 99;
      const got = (await store.getConfirmation(c.token_hash))!;
      got.targets.length = 0;
      got.used_at = T0;
      expect(await store.getConfirmation(c.token_hash)).toMatchObject({
        used_at: null,
        targets: [{ status: 6 }],
      });
    });
  });

  describe('audit', () => {
    async function seed(): Promise<number[]> {
      const { store } = get();
      const recs: NewAuditRecord[] = [
        makeAudit({ at: T0 }),
        makeAudit({
          at: T0 + 10,
          principal: 'bob',
          via: 'slack',
          tool: 'machine_release',
          result: 'refused',
        }),
        makeAudit({
          at: T0 + 20,
          targets: [{ system_id: 'def456', hostname: 'db-01' }],
          operation_id: 'op-7',
        }),
        makeAudit({ at: T0 + 20, tool: 'machine_power_off', targets: [] }),
      ];
      const out: number[] = [];
      for (const r of recs) out.push(await store.appendAudit(r));
      return out;
    }
    const idsOf = async (f?: AuditFilter) => (await get().store.listAudit(f)).map((r) => r.id);

    it('appends records with increasing ids and lists them newest first', async () => {
      const { store } = get();
      const [a, b, c, d] = await seed();
      expect(a! < b! && b! < c! && c! < d!).toBe(true);
      const all = await store.listAudit();
      expect(all.map((r) => r.id)).toEqual([d, c, b, a]);
      expect(all[3]).toEqual({ ...makeAudit({ at: T0 }), id: a });
    });

    it('filters the audit log by since, principal, machine and tool, all ANDed', async () => {
      const [a, b, c, d] = await seed();
      expect(await idsOf({ since: T0 + 10 })).toEqual([d, c, b]);
      expect(await idsOf({ principal: 'bob' })).toEqual([b]);
      expect(await idsOf({ tool: 'machine_deploy' })).toEqual([c, a]);
      expect(await idsOf({ machine: 'abc123' })).toEqual([b, a]);
      expect(await idsOf({ machine: 'db-01' })).toEqual([c]);
      expect(await idsOf({ machine: 'web-01', since: T0 + 5, principal: 'alice' })).toEqual([]);
      expect(await idsOf({ machine: 'web-01', tool: 'machine_release', principal: 'bob' })).toEqual([b]);
    });

    it('pages the audit log with limit and offset', async () => {
      const [a, b, c, d] = await seed();
      expect(await idsOf({ limit: 2 })).toEqual([d, c]);
      expect(await idsOf({ limit: 2, offset: 2 })).toEqual([b, a]);
      expect(await idsOf({ offset: 4 })).toEqual([]);
    });

    it('refuses an invalid audit record', async () => {
      const bad = { ...makeAudit(), result: 'maybe' } as unknown as NewAuditRecord;
      await expect(get().store.appendAudit(bad)).rejects.toThrow(/result/);
    });

    it('hands out copies, never its own audit records', async () => {
      const { store } = get();
      const rec = makeAudit({ args: { nested: { n: 1 } } });
      await store.appendAudit(rec);
      (rec.args.nested as { n: number }).n = 2;
      const [got] = await store.listAudit();
      got!.targets[0]!.hostname = 'mutated';
      (got!.args.nested as { n: number }).n = 3;
      const [fresh] = await store.listAudit();
      expect(fresh?.targets[0]?.hostname).toBe('web-01');
      expect(fresh?.args).toEqual({ nested: { n: 1 } });
    });
  });

  describe('key/values', () => {
    it('stores, replaces and deletes values', async () => {
      const { store } = get();
      expect(await store.getValue('k')).toBeUndefined();
      await store.setValue('k', 'one');
      expect(await store.getValue('k')).toBe('one');
      await store.setValue('k', 'two');
      expect(await store.getValue('k')).toBe('two');
      await store.deleteValue('k');
      expect(await store.getValue('k')).toBeUndefined();
      await expect(store.deleteValue('never-set')).resolves.toBeUndefined();
    });

    it('reads an expiring value as absent from its expiry time on, by the store clock', async () => {
      const { store, clock } = get();
      await store.setValue('session', 'abc', T0 + 1000);
      await clock.advance(999);
      expect(await store.getValue('session')).toBe('abc');
      await clock.advance(1);
      expect(await store.getValue('session')).toBeUndefined();
    });

    it('adds a value only where there is none (or it expired), for exactly one caller', async () => {
      const { store, clock } = get();
      expect(await store.addValue('seen', 'a', T0 + 1000)).toBe(true);
      expect(await store.addValue('seen', 'b', T0 + 5000)).toBe(false);
      expect(await store.getValue('seen')).toBe('a');
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.addValue('race', String(i), T0 + 1000)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
      await clock.advance(1000);
      expect(await store.addValue('seen', 'c', T0 + 9000)).toBe(true);
      expect(await store.getValue('seen')).toBe('c');
    });

    it('lists the live keys under a prefix in key order, a page at a time after a cursor', async () => {
      const { store, clock } = get();
      for (const k of [
        'oauth:grant:b',
        'oauth:grant:a',
        'oauth:token:x',
        'oauth:grant:c',
        'other',
        'oauth:grant',
      ]) {
        await store.setValue(k, 'v');
      }
      await store.setValue('oauth:grant:d', 'v', T0 + 10);
      const keys = async (prefix: string, opts?: { after?: string; limit?: number }) =>
        (await store.listValues(prefix, opts)).map((k) => k.key);
      expect(await keys('oauth:grant:')).toEqual([
        'oauth:grant:a',
        'oauth:grant:b',
        'oauth:grant:c',
        'oauth:grant:d',
      ]);
      expect(await store.listValues('oauth:grant:d')).toEqual([{ key: 'oauth:grant:d', expiresAt: T0 + 10 }]);
      expect(await keys('oauth:grant:', { limit: 2 })).toEqual(['oauth:grant:a', 'oauth:grant:b']);
      expect(await keys('oauth:grant:', { after: 'oauth:grant:b', limit: 2 })).toEqual([
        'oauth:grant:c',
        'oauth:grant:d',
      ]);
      // A cursor before the prefix starts at the prefix; one past it ends the list.
      expect(await keys('oauth:token:', { after: 'a' })).toEqual(['oauth:token:x']);
      expect(await keys('oauth:grant:', { after: 'oauth:grant:z' })).toEqual([]);
      expect(await keys('')).toHaveLength(7);
      await clock.advance(10);
      expect(await keys('oauth:grant:')).toEqual(['oauth:grant:a', 'oauth:grant:b', 'oauth:grant:c']);
    });

    it('treats a prefix literally, however it is spelled (no wildcards)', async () => {
      const { store } = get();
      await store.setValue('a%b', '1');
      await store.setValue('a_b', '2');
      await store.setValue('axb', '3');
      expect((await store.listValues('a_')).map((k) => k.key)).toEqual(['a_b']);
      expect((await store.listValues('a%')).map((k) => k.key)).toEqual(['a%b']);
    });

    it('clears an expiry when a value is set again without one', async () => {
      const { store, clock } = get();
      await store.setValue('k', 'temp', T0 + 10);
      await store.setValue('k', 'kept');
      await clock.advance(60_000);
      expect(await store.getValue('k')).toBe('kept');
    });
  });
}
