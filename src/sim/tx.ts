/**
 * Request atomicity. MAAS 3.7.3 runs every API view in a savepoint and rolls it back when the view raises
 * (MAAS `ATOMIC_REQUESTS`, `maasserver/utils/views.py`: `ATOMIC_REQUESTS`, `make_view_atomic`, `OperationsResource.error_handler` re-raising):
 * a refused request — 400, 403, 409, 500 — leaves no change behind. Only an `Http404` raised inside a handler is
 * turned into a returned response first, so the work before it stays.
 *
 * The simulator keeps its state in memory, so it uses an undo journal instead of a database: while
 * {@link atomically} runs a handler, the first change to each key of a {@link TxMap}, the first {@link touch} of
 * each record and each {@link saveOnce} step are remembered, and a throw undoes them in reverse order. Sequences
 * (ids, the PRNG) are not rolled back, as PostgreSQL sequences are not.
 *
 * Handlers are synchronous, so at most one transaction is open in the whole process at any moment: the journal
 * is module state, and a record or map joins the transaction of whatever request touches it.
 */

type Undo = () => void;

class Journal {
  private readonly undos: Undo[] = [];
  /** Run after every other undo (putting entries back in their order). */
  private readonly last: Undo[] = [];
  private readonly seen = new Map<object, Set<unknown>>();

  /** Runs `save` (which captures the present and returns how to restore it) once per `(owner, key)`. */
  once(owner: object, key: unknown, save: () => Undo, late = false): void {
    let keys = this.seen.get(owner);
    if (!keys) {
      keys = new Set();
      this.seen.set(owner, keys);
    }
    if (keys.has(key)) return;
    keys.add(key);
    (late ? this.last : this.undos).push(save());
  }

  rollback(): void {
    for (let i = this.undos.length - 1; i >= 0; i--) this.undos[i]?.();
    for (const undo of this.last) undo();
  }
}

let active: Journal | null = null;

/** True while a request's handler runs. */
export function inTransaction(): boolean {
  return active !== null;
}

/**
 * Runs `fn` as one request: if it throws, everything it changed is restored — unless `keepsWork(err)` says the
 * error is one MAAS answers without rolling back.
 */
export function atomically<T>(fn: () => T, keepsWork: (err: unknown) => boolean): T {
  if (active) throw new Error('internal: simulator transactions do not nest');
  const journal = new Journal();
  active = journal;
  try {
    const result = fn();
    if (result instanceof Promise) throw new Error('internal: simulator handlers must be synchronous');
    return result;
  } catch (err) {
    active = null;
    if (!keepsWork(err)) journal.rollback();
    throw err;
  } finally {
    active = null;
  }
}

/** Inside a transaction, registers the undo `save` returns, once per `(owner, key)`; outside, does nothing. */
export function saveOnce(owner: object, key: unknown, save: () => Undo): void {
  active?.once(owner, key, save);
}

const RECORD = Symbol('record');
const WHOLE = Symbol('whole map');
const ORDER = Symbol('key order');

/** Puts a record's own fields back as they were, keeping its identity (timers and callers hold references). */
function restoreInPlace(target: object, snapshot: object): void {
  const t = target as Record<string, unknown>;
  for (const k of Object.keys(t)) if (!(k in snapshot)) delete t[k];
  Object.assign(t, snapshot);
}

/** Inside a transaction, snapshots `record` (deeply) before its first change, to restore it on rollback. */
export function touch(record: object): void {
  active?.once(record, RECORD, () => {
    const snapshot = structuredClone(record);
    return () => restoreInPlace(record, snapshot);
  });
}

/**
 * A Map that joins the open transaction.
 * - `values`: plain values (IP → system_id); each changed key's previous entry is remembered.
 * - `records`: values are records changed in place (nodes); also {@link touch}es each value it hands out or drops.
 *   A record reached by iterating instead must be touched by whoever changes it.
 * - `small`: inventory of a few entries (zones, tags, VLANs …) found by iterating: the whole map and its records are
 *   snapshotted on first access.
 */
export class TxMap<K, V> extends Map<K, V> {
  constructor(private readonly kind: 'values' | 'records' | 'small') {
    super();
  }

  private wholeMap(): void {
    if (this.kind !== 'small' || !active) return;
    active.once(this, WHOLE, () => {
      const entries = [...Map.prototype.entries.call(this)].map(
        ([k, v]) => [k, v, structuredClone(v)] as [K, V, V],
      );
      return () => {
        Map.prototype.clear.call(this);
        for (const [k, v, snapshot] of entries) {
          if (typeof v === 'object' && v !== null) restoreInPlace(v, snapshot as object);
          Map.prototype.set.call(this, k, v);
        }
      };
    });
  }

  private key(key: K, deleting: boolean): void {
    if (!active) return;
    if (this.kind === 'small') {
      this.wholeMap();
      return;
    }
    const had = Map.prototype.has.call(this, key);
    const value = Map.prototype.get.call(this, key) as V | undefined;
    if (this.kind === 'records' && value !== undefined) touch(value as object);
    active.once(this, key, () => () => {
      if (had) Map.prototype.set.call(this, key, value);
      else Map.prototype.delete.call(this, key);
    });
    // A key put back after a delete would come last: iteration order is list order (nodes) or listing order.
    if (deleting && had) {
      active.once(
        this,
        ORDER,
        () => {
          const order = [...Map.prototype.keys.call(this)] as K[];
          return () => {
            for (const k of order) {
              if (!Map.prototype.has.call(this, k)) continue;
              const v = Map.prototype.get.call(this, k) as V;
              Map.prototype.delete.call(this, k);
              Map.prototype.set.call(this, k, v);
            }
          };
        },
        true,
      );
    }
  }

  override get(key: K): V | undefined {
    this.wholeMap();
    const v = super.get(key);
    if (this.kind === 'records' && v !== undefined && active) touch(v as object);
    return v;
  }

  override has(key: K): boolean {
    this.wholeMap();
    return super.has(key);
  }

  override set(key: K, value: V): this {
    this.key(key, false);
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    this.key(key, true);
    return super.delete(key);
  }

  override clear(): void {
    if (active) for (const k of [...Map.prototype.keys.call(this)] as K[]) this.key(k, true);
    super.clear();
  }

  override forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    this.wholeMap();
    super.forEach(fn, thisArg);
  }

  override keys(): MapIterator<K> {
    this.wholeMap();
    return super.keys();
  }

  override values(): MapIterator<V> {
    this.wholeMap();
    return super.values();
  }

  override entries(): MapIterator<[K, V]> {
    this.wholeMap();
    return super.entries();
  }

  override [Symbol.iterator](): MapIterator<[K, V]> {
    this.wholeMap();
    return super[Symbol.iterator]();
  }
}
