/**
 * The storage of the built-in authorization server: the library keeps its clients, grants and tokens in something
 * shaped like a Workers KV namespace; here that is the Store's key/values (SQLite on Node, the Durable Object on
 * Workers), under the `oauth:` prefix. Unlike KV, the Store is strongly consistent: a used authorization code or a
 * revoked grant is gone for every later request, wherever it lands.
 */
import type { Clock } from '../base/clock.ts';
import { MAX_LIST_VALUES, type Store } from '../store/types.ts';

const PREFIX = 'oauth:';

/** The part of Workers' KVNamespace the authorization server library calls. */
export interface OAuthKv {
  get(key: string, options?: 'text' | 'json' | { type?: 'text' | 'json' }): Promise<unknown>;
  put(
    key: string,
    value: string,
    options?: { expiration?: number; expirationTtl?: number; metadata?: unknown },
  ): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: { prefix?: string; limit?: number; cursor?: string | null }): Promise<{
    keys: { name: string; expiration?: number }[];
    list_complete: boolean;
    cursor?: string;
    cacheStatus: null;
  }>;
}

/**
 * A KV namespace over `store`. Expiry follows the store's clock; list metadata is not kept (the library reads such
 * records instead). Values are the library's own records: grants and tokens hold only hashes and encrypted props.
 */
export function storeKv(store: Store, clock: Clock): OAuthKv {
  const expiresAt = (o: { expiration?: number; expirationTtl?: number } = {}): number | undefined => {
    if (o.expiration !== undefined) return o.expiration * 1000;
    if (o.expirationTtl !== undefined) return clock.now() + o.expirationTtl * 1000;
    return undefined;
  };
  return {
    async get(key, options) {
      const type = typeof options === 'string' ? options : (options?.type ?? 'text');
      const value = await store.getValue(PREFIX + key);
      if (value === undefined) return null;
      return type === 'json' ? JSON.parse(value) : value;
    },
    async put(key, value, options) {
      await store.setValue(PREFIX + key, value, expiresAt(options));
    },
    async delete(key) {
      await store.deleteValue(PREFIX + key);
    },
    async list(options = {}) {
      // One more than the page is read to know whether another follows, so a page holds at most one less than
      // the store lists at once.
      const limit = Math.min(Math.max(options.limit ?? MAX_LIST_VALUES, 1), MAX_LIST_VALUES - 1);
      const keys = await store.listValues(PREFIX + (options.prefix ?? ''), {
        ...(options.cursor ? { after: PREFIX + options.cursor } : {}),
        limit: limit + 1,
      });
      const page = keys.slice(0, limit).map((k) => ({
        name: k.key.slice(PREFIX.length),
        ...(k.expiresAt !== undefined ? { expiration: Math.floor(k.expiresAt / 1000) } : {}),
      }));
      const more = keys.length > limit;
      return {
        keys: page,
        list_complete: !more,
        ...(more ? { cursor: page[page.length - 1]?.name as string } : {}),
        cacheStatus: null,
      };
    },
  };
}
