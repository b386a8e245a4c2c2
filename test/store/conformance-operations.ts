/** The operations half of the Store contract (README "Long operations"). */
import { describe, expect, it } from 'vitest';
import type { Operation, OperationState, Store } from '../../src/store/types.ts';
import type { GetContext } from './conformance.ts';
import { makeOperation, makeTarget, T0 } from './factory.ts';

async function createAll(store: Store, ops: Operation[]): Promise<Operation[]> {
  for (const op of ops) await store.createOperation(op);
  return ops;
}

const ids = (ops: Operation[]) => ops.map((o) => o.id);

export function operationsConformance(get: GetContext): void {
  describe('operations', () => {
    it('returns a created operation as it was given', async () => {
      const { store } = get();
      const op = makeOperation({
        pending_call: { tool: 'machine_deploy', args: { machines: ['web-01'], user_data: 'secret' } },
        state: 'awaiting_approval',
        notify: [{ kind: 'mcp', session: 's-1' }],
      });
      await store.createOperation(op);
      expect(await store.getOperation(op.id)).toEqual(op);
    });

    it('returns undefined for an unknown operation', async () => {
      expect(await get().store.getOperation('op-missing')).toBeUndefined();
    });

    it('refuses to create an operation whose id exists', async () => {
      const { store } = get();
      const op = makeOperation();
      await store.createOperation(op);
      await expect(store.createOperation({ ...op, summary: 'again' })).rejects.toThrow(/already exists/);
      expect((await store.getOperation(op.id))?.summary).toBe(op.summary);
    });

    it('refuses an invalid operation, naming the field', async () => {
      const bad = { ...makeOperation(), state: 'exploded' } as unknown as Operation;
      await expect(get().store.createOperation(bad)).rejects.toThrow(/state/);
    });

    it('updates an operation and increments its version', async () => {
      const { store } = get();
      const op = makeOperation({ version: 3 });
      await store.createOperation(op);
      const stored = await store.updateOperation({ ...op, state: 'succeeded', finished_at: T0 + 5 });
      expect(stored).toMatchObject({ state: 'succeeded', finished_at: T0 + 5, version: 4 });
      expect(await store.getOperation(op.id)).toEqual(stored);
      const again = await store.updateOperation({ ...stored!, summary: 'done' });
      expect(again?.version).toBe(5);
    });

    it('refuses a stale operation update', async () => {
      const { store } = get();
      const op = makeOperation();
      await store.createOperation(op);
      expect(await store.updateOperation({ ...op, summary: 'first' })).toBeDefined();
      expect(await store.updateOperation({ ...op, summary: 'second' })).toBeUndefined();
      expect(await store.getOperation(op.id)).toMatchObject({ summary: 'first', version: 1 });
    });

    it('refuses to update an unknown operation', async () => {
      expect(await get().store.updateOperation(makeOperation())).toBeUndefined();
    });

    it('lists operations newest first, ties in reverse creation order', async () => {
      const { store } = get();
      const [a, b, c, d] = await createAll(store, [
        makeOperation({ created_at: T0 + 10 }),
        makeOperation({ created_at: T0 + 30 }),
        makeOperation({ created_at: T0 + 20 }),
        makeOperation({ created_at: T0 + 20 }),
      ]);
      expect(ids(await store.listOperations())).toEqual(ids([b!, d!, c!, a!]));
    });

    it('filters operations by state, kind, principal and machine, all ANDed', async () => {
      const { store } = get();
      const [deploy, release, done, bob] = await createAll(store, [
        makeOperation({ targets: [makeTarget(), makeTarget({ system_id: 'def456', hostname: 'db-01' })] }),
        makeOperation({ kind: 'release', targets: [makeTarget({ system_id: 'ghi789', hostname: 'db-02' })] }),
        makeOperation({ state: 'succeeded' }),
        makeOperation({ requester: { principal: 'bob', via: 'slack' } }),
      ]);
      const list = async (f: Parameters<Store['listOperations']>[0]) => ids(await store.listOperations(f));
      expect(await list({ state: ['succeeded'] })).toEqual([done!.id]);
      expect(await list({ state: ['succeeded', 'running'] })).toHaveLength(4);
      expect(await list({ state: [] })).toHaveLength(4);
      expect(await list({ kind: ['release'] })).toEqual([release!.id]);
      expect(await list({ principal: 'bob' })).toEqual([bob!.id]);
      expect(await list({ machine: 'def456' })).toEqual([deploy!.id]);
      expect(await list({ machine: 'db-01' })).toEqual([deploy!.id]);
      expect(await list({ machine: 'db' })).toEqual([]);
      expect(
        await list({ machine: 'web-01', kind: ['deploy'], state: ['running'], principal: 'alice' }),
      ).toEqual([deploy!.id]);
      expect(await list({ machine: 'web-01', principal: 'carol' })).toEqual([]);
    });

    it('finds an operation by the machines it has after an update, not before', async () => {
      const { store } = get();
      const op = makeOperation();
      await store.createOperation(op);
      await store.updateOperation({
        ...op,
        targets: [makeTarget({ system_id: 'new999', hostname: 'web-09' })],
      });
      expect(await store.listOperations({ machine: 'web-01' })).toEqual([]);
      expect(ids(await store.listOperations({ machine: 'web-09' }))).toEqual([op.id]);
    });

    it('pages operations with limit and offset', async () => {
      const { store } = get();
      const ops = await createAll(
        store,
        Array.from({ length: 7 }, (_, i) => makeOperation({ created_at: T0 + i })),
      );
      const newest = ids(ops).reverse();
      expect(ids(await store.listOperations({ limit: 3 }))).toEqual(newest.slice(0, 3));
      expect(ids(await store.listOperations({ limit: 3, offset: 3 }))).toEqual(newest.slice(3, 6));
      expect(ids(await store.listOperations({ limit: 3, offset: 6 }))).toEqual(newest.slice(6));
      expect(await store.listOperations({ offset: 7 })).toEqual([]);
    });

    it('lists 50 operations by default and never more than 500', async () => {
      const { store } = get();
      for (let i = 0; i < 501; i++) await store.createOperation(makeOperation({ created_at: T0 + i }));
      expect(await store.listOperations()).toHaveLength(50);
      expect(await store.listOperations({ limit: 10_000 })).toHaveLength(500);
    });

    it('tracks running operations oldest first', async () => {
      const { store } = get();
      const [late, , early, same] = await createAll(store, [
        makeOperation({ created_at: T0 + 20 }),
        makeOperation({ created_at: T0, state: 'awaiting_approval' }),
        makeOperation({ created_at: T0 + 10 }),
        makeOperation({ created_at: T0 + 20 }),
        makeOperation({ created_at: T0 + 5, state: 'failed' }),
      ]);
      expect(ids(await store.runningOperations())).toEqual(ids([early!, late!, same!]));
    });

    it('leases a completion notice to one caller at a time, and records it sent only when told', async () => {
      const { store } = get();
      const op = makeOperation({ state: 'succeeded' });
      await store.createOperation(op);
      expect(await store.claimNotice(op.id, T0 + 1, T0 + 100)).toBe(true);
      expect(await store.claimNotice(op.id, T0 + 2, T0 + 200)).toBe(false);
      // Claimed is not sent: a delivery under way leaves notice_sent_at unset.
      expect((await store.getOperation(op.id))?.notice_sent_at).toBeNull();
      await store.settleNotice(op.id, { sentAt: T0 + 50 });
      expect((await store.getOperation(op.id))?.notice_sent_at).toBe(T0 + 50);
      // Sent is final: no lease is granted again, even after the old one ran out.
      expect(await store.claimNotice(op.id, T0 + 1_000, T0 + 2_000)).toBe(false);
      expect(await store.claimNotice('op-missing', T0, T0 + 100)).toBe(false);
    });

    it('lets another caller take over a lease that ran out (its holder died)', async () => {
      const { store } = get();
      const op = makeOperation({ state: 'failed' });
      await store.createOperation(op);
      expect(await store.claimNotice(op.id, T0, T0 + 100)).toBe(true);
      expect(await store.unnoticedOperations(T0 + 99)).toEqual([]);
      expect(await store.nextNoticeAt()).toBe(T0 + 100);
      expect(ids(await store.unnoticedOperations(T0 + 100))).toEqual([op.id]);
      expect(await store.claimNotice(op.id, T0 + 100, T0 + 200)).toBe(true);
    });

    it('holds a notice whose delivery failed until its retry time, then offers it again', async () => {
      const { store } = get();
      const op = makeOperation({ state: 'succeeded' });
      await store.createOperation(op);
      await store.claimNotice(op.id, T0, T0 + 100);
      await store.settleNotice(op.id, { retryAt: T0 + 5_000 });
      expect((await store.getOperation(op.id))?.notice_sent_at).toBeNull();
      expect(await store.nextNoticeAt()).toBe(T0 + 5_000);
      expect(await store.claimNotice(op.id, T0 + 4_999, T0 + 9_000)).toBe(false);
      expect(await store.unnoticedOperations(T0 + 4_999)).toEqual([]);
      expect(ids(await store.unnoticedOperations(T0 + 5_000))).toEqual([op.id]);
      expect(await store.claimNotice(op.id, T0 + 5_000, T0 + 9_000)).toBe(true);
      await store.settleNotice(op.id, { sentAt: T0 + 5_001 });
      expect(await store.nextNoticeAt()).toBeUndefined();
      expect(await store.unnoticedOperations(T0 + 60_000)).toEqual([]);
      // A late retry decision cannot un-send it.
      await store.settleNotice(op.id, { retryAt: T0 + 99_000 });
      expect((await store.getOperation(op.id))?.notice_sent_at).toBe(T0 + 5_001);
    });

    it('leases a completion notice to exactly one of many concurrent callers', async () => {
      const { store } = get();
      const op = makeOperation({ state: 'failed' });
      await store.createOperation(op);
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.claimNotice(op.id, T0 + i, T0 + 60_000)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
    });

    it('keeps a sent notice when a stale copy is written back', async () => {
      const { store } = get();
      const op = makeOperation({ state: 'succeeded' });
      await store.createOperation(op);
      await store.claimNotice(op.id, T0 + 1, T0 + 100);
      await store.settleNotice(op.id, { sentAt: T0 + 1 });
      const stored = await store.updateOperation({ ...op, summary: 'edited' });
      expect(stored?.notice_sent_at).toBe(T0 + 1);
      expect(await store.unnoticedOperations(T0 + 1_000)).toEqual([]);
    });

    it('keeps a notice lease when the operation is updated meanwhile', async () => {
      const { store } = get();
      const op = makeOperation({ state: 'succeeded' });
      await store.createOperation(op);
      await store.claimNotice(op.id, T0, T0 + 100);
      await store.updateOperation({ ...op, summary: 'edited' });
      expect(await store.claimNotice(op.id, T0 + 1, T0 + 100)).toBe(false);
      expect(await store.nextNoticeAt()).toBe(T0 + 100);
    });

    it('lists finished operations whose notice is unsent and not leased, oldest first', async () => {
      const { store } = get();
      const finals: OperationState[] = ['succeeded', 'failed', 'partial', 'timed_out', 'cancelled'];
      const done = await createAll(
        store,
        finals.map((state, i) => makeOperation({ state, created_at: T0 + 100 - i })),
      );
      const sent = makeOperation({ state: 'succeeded', created_at: T0 });
      const leased = makeOperation({ state: 'succeeded', created_at: T0 });
      await createAll(store, [
        sent,
        leased,
        makeOperation({ state: 'running', created_at: T0 }),
        makeOperation({ state: 'awaiting_approval', created_at: T0 }),
      ]);
      await store.claimNotice(sent.id, T0 + 1, T0 + 100);
      await store.settleNotice(sent.id, { sentAt: T0 + 1 });
      await store.claimNotice(leased.id, T0 + 1, T0 + 100);
      expect(ids(await store.unnoticedOperations(T0 + 50))).toEqual(ids(done).reverse());
    });

    it('hands out copies, never its own operation objects', async () => {
      const { store } = get();
      const op = makeOperation({ pending_call: { tool: 't', args: { nested: { a: 1 } } } });
      await store.createOperation(op);
      op.targets[0]!.hostname = 'mutated-input';
      (op.pending_call!.args.nested as { a: number }).a = 2;
      const got = (await store.getOperation(op.id))!;
      expect(got.targets[0]!.hostname).toBe('web-01');
      expect(got.pending_call?.args).toEqual({ nested: { a: 1 } });

      got.targets[0]!.history.push({ at: 1, status: 'x', message: 'x' });
      got.summary = 'mutated-get';
      const [listed] = await store.listOperations();
      listed!.notify.length = 0;
      const [running] = await store.runningOperations();
      running!.requester.principal = 'mallory';
      const updated = (await store.updateOperation({
        ...(await store.getOperation(op.id))!,
        summary: 'v1',
      }))!;
      updated.summary = 'mutated-update';

      const fresh = (await store.getOperation(op.id))!;
      expect(fresh.summary).toBe('v1');
      expect(fresh.targets[0]!.history).toHaveLength(1);
      expect(fresh.notify).toHaveLength(1);
      expect(fresh.requester.principal).toBe('alice');
    });
  });
}
