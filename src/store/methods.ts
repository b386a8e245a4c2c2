/**
 * The {@link Store} methods by name, for what forwards them (the Workers store proxy and its Durable Object's one
 * RPC entry point): one list, checked against the interface, so a new Store method cannot be forgotten there.
 */
import type { Store } from './types.ts';

/** Every Store method but `close` (closing a store is its owner's business, not a caller's). */
export const STORE_METHODS = [
  'createOperation',
  'getOperation',
  'updateOperation',
  'listOperations',
  'runningOperations',
  'claimNotice',
  'settleNotice',
  'unnoticedOperations',
  'nextNoticeAt',
  'putConfirmation',
  'getConfirmation',
  'useConfirmation',
  'purgeConfirmations',
  'appendAudit',
  'listAudit',
  'createCluster',
  'getCluster',
  'updateCluster',
  'listClusters',
  'deleteCluster',
  'getValue',
  'setValue',
  'addValue',
  'deleteValue',
  'listValues',
] as const satisfies readonly Exclude<keyof Store, 'close'>[];

export type StoreMethod = (typeof STORE_METHODS)[number];

/** Store methods missing from {@link STORE_METHODS}: none, or the check below fails to compile, naming them. */
export type MissingStoreMethod = Exclude<keyof Store, 'close' | StoreMethod>;
type None<T extends never> = T;
export type StoreMethodsComplete = None<MissingStoreMethod>;

/** The arguments and the (resolved) result of one Store method. */
export type StoreArgs<M extends StoreMethod> = Parameters<Store[M]>;
export type StoreResult<M extends StoreMethod> = Awaited<ReturnType<Store[M]>>;

/**
 * Where forwarded Store calls go: the Durable Object's one RPC entry point. Typed loosely on purpose, as an RPC
 * stub types it (the type parameter erased, results wrapped); the object's own `storeCall` is checked against
 * the Store interface, and records cross by structured clone.
 */
export interface StoreRpc {
  storeCall(method: StoreMethod, args: StoreArgs<StoreMethod>): Promise<unknown>;
}

/** Whether `name` is a Store method a caller may forward (never `close`, nor anything else on the object). */
export function isStoreMethod(name: unknown): name is StoreMethod {
  return typeof name === 'string' && (STORE_METHODS as readonly string[]).includes(name);
}

/**
 * A Store whose every method forwards to `rpc.storeCall`, so callers get copies, as from every other Store;
 * `close` does nothing (the real store belongs to the object behind `rpc`).
 */
export function forwardingStore(rpc: StoreRpc): Store {
  const store: Record<string, unknown> = { close: async () => {} };
  for (const method of STORE_METHODS) {
    store[method] = (...args: StoreArgs<typeof method>) => rpc.storeCall(method, args);
  }
  return store as unknown as Store;
}

/** Calls `method` on `store` with `args`, refusing any name that is not a Store method. */
export function callStore<M extends StoreMethod>(
  store: Store,
  method: M,
  args: StoreArgs<M>,
): Promise<StoreResult<M>> {
  if (!isStoreMethod(method)) {
    return Promise.reject(new TypeError(`store: ${JSON.stringify(method)} is not a Store method`));
  }
  const fn = store[method] as (...a: unknown[]) => Promise<StoreResult<M>>;
  return fn.apply(store, args);
}
