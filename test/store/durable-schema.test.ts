/**
 * The Durable Object store keeps its own copy of the SQLite migrations (the Node file types its runner with
 * better-sqlite3, which the Worker must not reach): the two lists must stay identical.
 */
import { describe, expect, it } from 'vitest';
import { MIGRATIONS as NODE } from '../../src/node/sqlite-schema.ts';
import { MIGRATIONS as DURABLE } from '../../src/store/durable-schema.ts';

describe('the Durable Object schema', () => {
  it('is the Node schema, migration for migration', () => {
    expect(DURABLE).toEqual(NODE);
  });
});
