/**
 * The Store: what maas-mcp remembers. Runtime-neutral: the SQLite store (`./sql.ts`) is reached through a driver,
 * better-sqlite3 on Node (src/node/sqlite-store.ts, imported by the Node entry point directly, never from here)
 * or a Durable Object's storage on Workers (`./durable.ts`).
 */

export * from './clusters.ts';
export { MemoryStore } from './memory.ts';
export { STORE_METHODS, type StoreMethod } from './methods.ts';
export { DEFAULT_LIMIT, MAX_LIMIT, StoreDataError } from './shared.ts';
export * from './types.ts';
