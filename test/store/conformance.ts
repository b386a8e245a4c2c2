/**
 * The Store contract as one suite: every implementation (memory, SQLite, Durable Object) runs it, so they
 * cannot drift apart.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import type { Store } from '../../src/store/types.ts';
import { operationsConformance } from './conformance-operations.ts';
import { recordsConformance } from './conformance-records.ts';
import { T0 } from './factory.ts';

export interface StoreContext {
  store: Store;
  clock: ManualClock;
}
export type GetContext = () => StoreContext;

/** Runs the whole Store contract against stores made by `make`, a fresh one per test. */
export function storeConformance(name: string, make: (now: () => number) => Promise<Store> | Store): void {
  describe(`${name} (Store contract)`, () => {
    let current: StoreContext | undefined;
    let closed = false;
    const get: GetContext = () => {
      if (!current) throw new Error('no store: beforeEach did not run');
      return current;
    };

    beforeEach(async () => {
      const clock = new ManualClock(T0);
      current = { clock, store: await make(() => clock.now()) };
      closed = false;
    });
    afterEach(async () => {
      if (!closed) await current?.store.close();
      current = undefined;
    });

    operationsConformance(get);
    recordsConformance(get);

    describe('close', () => {
      it('refuses to work once closed', async () => {
        const { store } = get();
        await store.close();
        closed = true;
        await expect(store.getOperation('op-x')).rejects.toThrow();
        await expect(store.listAudit()).rejects.toThrow();
        await expect(store.setValue('k', 'v')).rejects.toThrow('store: the store is closed');
      });

      it('closes twice without complaint', async () => {
        const { store } = get();
        await store.close();
        closed = true;
        await expect(store.close()).resolves.toBeUndefined();
      });
    });
  });
}
