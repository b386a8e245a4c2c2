/**
 * The clock the simulator runs on, injected so tests drive time. Any object with these three methods will do (a test
 * harness's manual clock, or the system clock below); the simulator never reads the platform's time on its own.
 */
/** Whatever the clock's `setTimeout` returns (a Node `Timeout`, a browser id, a test clock's record). */
export type TimerHandle = object | number;

export interface Clock {
  /** Milliseconds since the epoch. */
  now: () => number;
  setTimeout: (fn: () => void, ms: number) => TimerHandle;
  clearTimeout: (handle: TimerHandle) => void;
}

/** A clock a test moves by hand (`sim.control.advance` uses it when present). */
export interface AdvanceableClock extends Clock {
  advance(ms: number): Promise<void>;
}

export function isAdvanceable(clock: Clock): clock is AdvanceableClock {
  return typeof (clock as Partial<AdvanceableClock>).advance === 'function';
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const h = globalThis.setTimeout(fn, Math.max(0, ms));
    // A pending simulated transition must never keep a process alive on its own.
    (h as { unref?: () => void }).unref?.();
    return h as TimerHandle;
  },
  clearTimeout: (h) => globalThis.clearTimeout(h as Parameters<typeof clearTimeout>[0]),
};

/** Resolves after `ms` on the given clock. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}
