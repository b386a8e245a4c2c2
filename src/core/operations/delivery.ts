/**
 * Completion notices, delivered at least once. Delivery is leased in the store (so two pollers — two processes on
 * one SQLite file, or a request and the Durable Object's alarm — never send one at the same time), recorded as sent
 * only after every listener took it, and retried with a growing wait (at least what Slack's Retry-After asks) when
 * a listener failed for a passing reason. A lease whose holder died runs out, so a crash or restart redelivers.
 */

import type { Operation } from '../../store/types.ts';
import type { Deps } from '../deps.ts';

/** Longest one delivery may take (each Slack call is bounded to 15 s) before another process may take over. */
export const NOTICE_LEASE_MS = 5 * 60_000;
/** The first wait after a failed delivery; it then grows with the time since the operation finished. */
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 15 * 60_000;
/** After this long, a notice that still cannot be delivered is given up (and an error logged). */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;

/** `sent` (or given up), `retrying` (a later tick tries again), `elsewhere` (sent or being sent by someone else). */
export type NoticeResult = 'sent' | 'retrying' | 'elsewhere';

/**
 * Delivers an operation's completion notice if nobody else is delivering it. `kick` wakes the poller for the
 * retry (not needed when the poller itself calls: its next tick is planned from the store).
 */
export async function deliverNotice(
  deps: Deps,
  op: Operation,
  opts: { kick?: boolean } = {},
): Promise<NoticeResult> {
  const { store, clock, log, notify } = deps;
  if (!notify.delivers) {
    // Not here (a Worker's request): the poller that delivers notices finds this one in the store.
    deps.kickPoller();
    return 'elsewhere';
  }
  const now = clock.now();
  if (!(await store.claimNotice(op.id, now, now + NOTICE_LEASE_MS))) return 'elsewhere';
  const retry = await notify.finished(op);
  const at = clock.now();
  if (!retry) {
    await store.settleNotice(op.id, { sentAt: at });
    return 'sent';
  }
  const since = at - (op.finished_at ?? now);
  if (since >= GIVE_UP_AFTER_MS) {
    log.error('gave up on a completion notice that could not be delivered for 24 hours', {
      operation: op.id,
      error: retry.message,
    });
    notify.forget(op.id);
    await store.settleNotice(op.id, { sentAt: at });
    return 'sent';
  }
  const wait = Math.max(Math.min(MAX_RETRY_MS, Math.max(FIRST_RETRY_MS, since)), retry.retryAfterMs ?? 0);
  await store.settleNotice(op.id, { retryAt: at + wait });
  log.warn('could not deliver a completion notice; will try again', {
    operation: op.id,
    retry_in_s: Math.round(wait / 1000),
    error: retry.message,
  });
  if (opts.kick !== false) deps.kickPoller();
  return 'retrying';
}
