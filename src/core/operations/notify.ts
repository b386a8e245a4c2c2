/**
 * Where operation news goes. The poller publishes; listeners — a waiting tool call, MCP sessions (progress,
 * resource updates, a log message), Slack (a thread post) — subscribe. A listener's failure never stops the
 * others, and never stops the poller.
 */

import type { Operation } from '../../store/types.ts';
import type { Logger } from '../log.ts';

export interface OperationListener {
  /** The operation changed (a machine moved on, or it finished). */
  progress?(op: Operation): void | Promise<void>;
  /** The operation finished; the poller calls this once per operation, after claiming its notice. */
  finished?(op: Operation): void | Promise<void>;
}

export class NotifierHub {
  private readonly listeners = new Set<OperationListener>();

  constructor(private readonly log?: Logger) {}

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: OperationListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async progress(op: Operation): Promise<void> {
    await this.each(op, 'progress');
  }

  async finished(op: Operation): Promise<void> {
    await this.each(op, 'finished');
  }

  private async each(op: Operation, what: 'progress' | 'finished'): Promise<void> {
    await Promise.all(
      [...this.listeners].map(async (l) => {
        try {
          await l[what]?.(op);
        } catch (err) {
          this.log?.warn('an operation listener failed', { operation: op.id, what, error: err });
        }
      }),
    );
  }
}
