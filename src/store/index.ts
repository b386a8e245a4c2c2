/**
 * The Store: what maas-mcp remembers. Runtime-neutral: the SQLite store (`./sqlite.ts`) is Node-only and is
 * imported by the Node entry point directly, never from here.
 */

export { MemoryStore } from './memory.ts';
export { DEFAULT_LIMIT, MAX_LIMIT, StoreDataError } from './shared.ts';
export * from './types.ts';
