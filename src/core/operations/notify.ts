/**
 * Where operation news goes. The poller publishes; listeners — a waiting tool call, MCP sessions (progress,
 * resource updates, a log message), Slack (a thread post) — subscribe. A listener's failure never stops the
 * others, and never stops the poller. A completion notice a listener could not deliver for a passing reason
 * (it throws {@link RetryLater}) is offered to that listener again later (see ./delivery.ts); the listeners that
 * took it are not asked twice.
 */

import type { Logger } from '../../base/log.ts';
import type { Operation } from '../../store/types.ts';

export interface OperationListener {
  /** The operation changed (a machine moved on, or it finished). */
  progress?(op: Operation): void | Promise<void>;
  /**
   * The operation finished; called once per operation while its notice is leased, again only after this
   * listener threw {@link RetryLater}.
   */
  finished?(op: Operation): void | Promise<void>;
}

/** Thrown by a listener that could not deliver a notice for a reason that may pass (a 429, a 5xx, a reset). */
export class RetryLater extends Error {
  override name = 'RetryLater';
  constructor(
    message: string,
    /** What the other side asked for (Retry-After), if anything. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class NotifierHub {
  private readonly listeners = new Set<OperationListener>();
  /** Per operation whose notice is being retried: the listeners that already took it (this process only). */
  private readonly delivered = new Map<string, Set<OperationListener>>();

  /**
   * `delivers: false` where no poller runs (a Worker's request): completion notices are left to the poller that
   * does (the Durable Object's), which finds them in the store.
   */
  constructor(
    private readonly log?: Logger,
    readonly delivers = true,
  ) {}

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: OperationListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async progress(op: Operation): Promise<void> {
    await Promise.all(
      [...this.listeners].map(async (l) => {
        try {
          await l.progress?.(op);
        } catch (err) {
          this.log?.warn('an operation listener failed', { operation: op.id, what: 'progress', error: err });
        }
      }),
    );
  }

  /**
   * Offers the completion notice to every listener that has not taken it yet. Undefined when all of them did
   * (or failed for good: logged); else the {@link RetryLater} that asks to wait longest.
   */
  async finished(op: Operation): Promise<RetryLater | undefined> {
    const took = this.delivered.get(op.id) ?? new Set<OperationListener>();
    let retry: RetryLater | undefined;
    await Promise.all(
      [...this.listeners]
        .filter((l) => !took.has(l))
        .map(async (l) => {
          try {
            await l.finished?.(op);
          } catch (err) {
            if (err instanceof RetryLater) {
              if (!retry || (err.retryAfterMs ?? 0) > (retry.retryAfterMs ?? 0)) retry = err;
              return;
            }
            this.log?.warn('an operation listener failed', {
              operation: op.id,
              what: 'finished',
              error: err,
            });
          }
          took.add(l);
        }),
    );
    if (retry) this.delivered.set(op.id, took);
    else this.delivered.delete(op.id);
    return retry;
  }

  /** Drops what was remembered about a notice given up on. */
  forget(operationId: string): void {
    this.delivered.delete(operationId);
  }
}
