/**
 * Fault injection: the failures a real MAAS shows in production, on demand. The router consumes the HTTP-level
 * ones; the engine consumes `failNext` when an async action completes.
 */

export type FailAction = 'commission' | 'test' | 'deploy' | 'release' | 'erase' | 'rescue' | 'exit_rescue';

/** Test hooks that make the simulator misbehave the way MAAS does. */
export interface SimFaults {
  /** Added (via the injected clock) before every API answer; default 0. */
  latencyMs: number;
  /** The next `times` API requests answer 503 with Retry-After (RPC `NoConnectionsAvailable`). */
  unavailable(times: number, retryAfterSeconds?: number): void;
  /** The next `times` POSTs answer 409 with Retry-After (DB serialisation retry) and take no effect. */
  conflict(times: number, retryAfterSeconds?: number): void;
  /** When true, `sim.fetch` rejects with `TypeError('fetch failed')`: no HTTP answer at all. */
  networkDown: boolean;
  /** The next such async action on that machine ends in MAAS's failure status. */
  failNext(systemId: string, action: FailAction, message?: string): void;
  reset(): void;
}

export class Faults implements SimFaults {
  latencyMs = 0;
  networkDown = false;
  private unavailableLeft = 0;
  private unavailableRetry = 5;
  private conflictLeft = 0;
  private conflictRetry = 1;
  private readonly failures = new Map<string, string | undefined>();

  unavailable(times: number, retryAfterSeconds = 5): void {
    this.unavailableLeft = Math.max(0, Math.floor(times));
    this.unavailableRetry = retryAfterSeconds;
  }

  conflict(times: number, retryAfterSeconds = 1): void {
    this.conflictLeft = Math.max(0, Math.floor(times));
    this.conflictRetry = retryAfterSeconds;
  }

  failNext(systemId: string, action: FailAction, message?: string): void {
    this.failures.set(`${systemId}:${action}`, message);
  }

  reset(): void {
    this.latencyMs = 0;
    this.networkDown = false;
    this.unavailableLeft = 0;
    this.conflictLeft = 0;
    this.failures.clear();
  }

  /** Retry-After seconds if this request must answer 503. */
  takeUnavailable(): number | null {
    if (this.unavailableLeft <= 0) return null;
    this.unavailableLeft--;
    return this.unavailableRetry;
  }

  /** Retry-After seconds if this request must answer 409. */
  takeConflict(method: string): number | null {
    if (method !== 'POST' || this.conflictLeft <= 0) return null;
    this.conflictLeft--;
    return this.conflictRetry;
  }

  /** Consumes a pending failure: `{ message }` (message may be undefined) or null when none is armed. */
  takeFailure(systemId: string, action: FailAction): { message: string | undefined } | null {
    const key = `${systemId}:${action}`;
    if (!this.failures.has(key)) return null;
    const message = this.failures.get(key);
    this.failures.delete(key);
    return { message };
  }
}
