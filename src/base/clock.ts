/**
 * Time, injected. Production uses the system clock; tests use {@link ManualClock} so that a 30-minute deploy
 * takes no wall time and no test depends on the machine's speed.
 */
export type TimerHandle = { readonly __timer: unique symbol } | number | object;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const h = setTimeout(fn, Math.max(0, ms));
    // A pending MAAS timer must never keep a CLI process alive on its own.
    (h as { unref?: () => void }).unref?.();
    return h as TimerHandle;
  },
  clearTimeout: (h) => clearTimeout(h as Parameters<typeof clearTimeout>[0]),
};

/** Resolves after `ms` on the given clock; rejects with the signal's reason if aborted first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface ManualTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock that only moves when a test moves it. Timers fire in time order; equal times fire in creation order. */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 15, 9, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: ++this.seq, at: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id?: number }).id;
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Number of timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by `ms`, firing each due timer at its own time and letting promise callbacks
   * run between timers, so async work scheduled by one timer can schedule the next.
   */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flushMicrotasks();
      const next = this.nextDue(end);
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await flushMicrotasks();
  }

  /** Fires every pending timer (and those they schedule) until none is left or `limit` timers ran. */
  async runAll(limit = 10_000): Promise<void> {
    for (let i = 0; i < limit; i++) {
      await flushMicrotasks();
      const next = this.nextDue(Number.POSITIVE_INFINITY);
      if (!next) return;
      this.timers = this.timers.filter((t) => t !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    throw new Error(`ManualClock.runAll: still busy after ${limit} timers`);
  }

  private nextDue(until: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (t.at <= until && (!best || t.at < best.at || (t.at === best.at && t.id < best.id))) best = t;
    }
    return best;
  }
}

/**
 * Lets pending promise callbacks run, including chains that cross a real macrotask (an in-process fetch
 * through a Hono app does), by yielding once to the host's own timer queue.
 */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
}
