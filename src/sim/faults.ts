/**
 * Fault injection: the failures a real MAAS shows in production, on demand. The router consumes the HTTP-level
 * ones; the engine consumes `failNext` when an async action completes.
 */

export type FailAction = 'commission' | 'test' | 'deploy' | 'release' | 'erase' | 'rescue' | 'exit_rescue';

/**
 * The event each failed action logs (MAAS `maascommon/events.py` `EVENT_DETAILS_MAP` descriptions) and the
 * `error_description` used when a test does not give one.
 */
export const FAILURE_EVENTS: Readonly<Record<FailAction, { event: string; message: string }>> = {
  commission: {
    event: 'Failed commissioning',
    message: 'Commissioning failed, see the commissioning results for more information.',
  },
  test: {
    event: 'Failed testing',
    message: "Storage test 'smartctl-validate' failed on sda, see the test results for more information.",
  },
  deploy: {
    event: 'Failed deployment',
    message: 'Installation failed (refer to the installation log for more information).',
  },
  release: {
    event: 'Failed releasing',
    message: 'Failed to power off the machine: the BMC did not answer (timed out after 60 seconds).',
  },
  erase: {
    event: 'Failed erasing disk',
    message: 'Disk erasure failed on /dev/sda (refer to the erase log for more information).',
  },
  rescue: {
    event: 'Failed to enter rescue mode',
    message: 'Failed to boot the rescue environment (PXE boot timed out).',
  },
  exit_rescue: {
    event: 'Failed to exit rescue mode',
    message: 'Failed to power cycle the machine out of rescue mode (the BMC did not answer).',
  },
};

export const FAIL_ACTIONS = Object.keys(FAILURE_EVENTS) as FailAction[];

/** Which requests a {@link RequestFailure} answers. Every given field must match. */
export interface RequestMatch {
  /** `GET`, `POST`, `PUT`, `DELETE` (any case). */
  method?: string;
  /**
   * The path: a string is the path relative to `/MAAS/api/2.0/` (`machines/abc123/`) or the full path; a RegExp is
   * tested against the relative path.
   */
  path?: string | RegExp;
  /** The `op=` of the request; `null` matches only requests without one. */
  op?: string | null;
}

/** A rule that makes matching requests fail with MAAS-style answers. */
export interface RequestFailure extends RequestMatch {
  /** HTTP status of the answer. */
  status: number;
  /** A string is sent as text/plain; an object or array as MAAS's JSON validation errors. Default: empty. */
  body?: string | Record<string, string[]> | string[];
  headers?: Record<string, string>;
  /** How many matching requests fail (default 1). */
  times?: number;
  /**
   * `before` (default): answered without running the request, so nothing changes. `after`: the request runs and
   * commits, then the client gets the error instead of the answer (a lost reply).
   */
  when?: 'before' | 'after';
}

export interface ArmedRequestFailure {
  /** Matching requests still to fail. */
  readonly remaining: number;
  cancel(): void;
}

/** Where an asynchronous transition fails. */
export interface TransitionFailure {
  /** The machine's `error_description` and the failure event's text; MAAS-like defaults per action. */
  message?: string;
  /**
   * The step to fail at, named by the event it would log (`Performing PXE boot`, `Loading ephemeral`,
   * `Installing OS`, `Configuring OS`, `Rebooting`, …). Default: the last step, where MAAS learns the outcome.
   */
  at?: string;
}

/** The switches that make the simulator misbehave the way MAAS does (inside the simulator; tests use `sim.control`). */
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

interface ArmedRule {
  rule: RequestFailure;
  left: number;
}

export class Faults implements SimFaults {
  latencyMs = 0;
  networkDown = false;
  private unavailableLeft = 0;
  private unavailableRetry = 5;
  private conflictLeft = 0;
  private conflictRetry = 1;
  private readonly failures = new Map<string, TransitionFailure>();
  private rules: ArmedRule[] = [];

  unavailable(times: number, retryAfterSeconds = 5): void {
    this.unavailableLeft = Math.max(0, Math.floor(times));
    this.unavailableRetry = retryAfterSeconds;
  }

  conflict(times: number, retryAfterSeconds = 1): void {
    this.conflictLeft = Math.max(0, Math.floor(times));
    this.conflictRetry = retryAfterSeconds;
  }

  failNext(systemId: string, action: FailAction, message?: string): void {
    this.failTransition(systemId, action, message === undefined ? {} : { message });
  }

  failTransition(systemId: string, action: FailAction, failure: TransitionFailure): void {
    this.failures.set(`${systemId}:${action}`, { ...failure });
  }

  failRequests(rule: RequestFailure): ArmedRequestFailure {
    const armed: ArmedRule = { rule: { ...rule }, left: Math.max(0, Math.floor(rule.times ?? 1)) };
    this.rules.push(armed);
    return {
      get remaining() {
        return armed.left;
      },
      cancel: () => {
        armed.left = 0;
      },
    };
  }

  reset(): void {
    this.latencyMs = 0;
    this.networkDown = false;
    this.unavailableLeft = 0;
    this.conflictLeft = 0;
    this.failures.clear();
    this.rules = [];
  }

  /** Consumes the first armed rule that matches this request at this moment, if any. */
  takeRequestFailure(
    when: 'before' | 'after',
    method: string,
    relPath: string,
    op: string | null,
  ): RequestFailure | null {
    this.rules = this.rules.filter((r) => r.left > 0);
    for (const armed of this.rules) {
      const r = armed.rule;
      if ((r.when ?? 'before') !== when) continue;
      if (r.method && r.method.toUpperCase() !== method) continue;
      if (r.op !== undefined && r.op !== op) continue;
      if (r.path !== undefined && !pathMatches(r.path, relPath)) continue;
      armed.left--;
      return r;
    }
    return null;
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

  /**
   * Consumes a pending transition failure for this step: `at` undefined asks for the final step's failure; a step
   * label asks for a failure armed at that step.
   */
  takeFailure(systemId: string, action: FailAction, at?: string): TransitionFailure | null {
    const key = `${systemId}:${action}`;
    const armed = this.failures.get(key);
    if (!armed || armed.at !== at) return null;
    this.failures.delete(key);
    return armed;
  }
}

const API_ROOT = '/MAAS/api/2.0/';

function pathMatches(pattern: string | RegExp, relPath: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(relPath);
  return pattern === relPath || pattern === `${API_ROOT}${relPath}`;
}
