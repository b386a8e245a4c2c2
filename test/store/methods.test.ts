/** The Store method list and the forwarding it drives (the Workers store proxy and its Durable Object's entry). */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory.ts';
import {
  callStore,
  forwardingStore,
  isStoreMethod,
  STORE_METHODS,
  type StoreRpc,
} from '../../src/store/methods.ts';
import { makeOperation } from './factory.ts';

describe('STORE_METHODS', () => {
  // That it lists every Store method but close is checked by the compiler (src/store/methods.ts).
  it('names methods of a real Store, each once, without close', () => {
    const store = new MemoryStore();
    for (const name of STORE_METHODS) expect(typeof store[name]).toBe('function');
    expect(new Set(STORE_METHODS).size).toBe(STORE_METHODS.length);
    expect(STORE_METHODS).not.toContain('close');
  });

  it('refuses close and names that are not Store methods', async () => {
    const store = new MemoryStore();
    for (const name of ['close', 'constructor', 'toString', '__proto__', 42]) {
      expect(isStoreMethod(name)).toBe(false);
      await expect(callStore(store, name as never, [] as never)).rejects.toThrow(/not a Store method/);
    }
  });
});

describe('forwardingStore', () => {
  it('forwards each call by name with its arguments, and returns the answer', async () => {
    const real = new MemoryStore();
    const seen: string[] = [];
    const rpc: StoreRpc = {
      storeCall: (method, args) => {
        seen.push(method);
        return callStore(real, method, args);
      },
    };
    const store = forwardingStore(rpc);
    const op = makeOperation();
    await store.createOperation(op);
    expect(await store.getOperation(op.id)).toEqual(op);
    await store.setValue('k', 'v', undefined);
    expect(await store.getValue('k')).toBe('v');
    expect(seen).toEqual(['createOperation', 'getOperation', 'setValue', 'getValue']);
    // Closing the proxy is not the caller's to do: the real store stays open.
    await store.close();
    expect(await real.getValue('k')).toBe('v');
    expect(seen).not.toContain('close');
  });
});
