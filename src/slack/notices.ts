/**
 * Completion notices and progress in Slack: progress edits one message (chat.update, at most every 10 s per
 * operation) instead of flooding the channel; the outcome is posted in the thread it came from, mentioning who
 * asked, with each machine's final status and MAAS's reason for failures. Operations started elsewhere (an
 * agent) go to SLACK_NOTIFY_CHANNEL. A command's response_url is used only while it is valid (30 min, 5 uses).
 *
 * Delivery is at least once (src/core/operations/delivery.ts): a failure that may pass (Slack's 429 or 5xx, a
 * connection reset) throws {@link RetryLater}, and the notice is offered again later; each place a notice reached
 * is recorded in the store, so a retry (or a restart) does not post it there twice.
 */
import { GIVE_UP_AFTER_MS, NOTICE_LEASE_MS } from '../core/operations/delivery.ts';
import { type OperationListener, RetryLater } from '../core/operations/notify.ts';
import { type OperationView, operationView } from '../core/operations/view.ts';
import type { NotifyTarget, Operation } from '../store/types.ts';
import { slackErrorCode, slackRetryAfter } from './api.ts';
import * as B from './blocks.ts';
import type { SlackContext } from './context.ts';

const EDIT_EVERY_MS = 10_000;
const RESPONSE_URL_USES = 5;

type SlackTarget = Extract<NotifyTarget, { kind: 'slack' }>;

/** How one place was served: delivered, failed for good (logged), or worth another try. */
type Outcome = 'sent' | 'failed' | RetryLater;

export class SlackNotices implements OperationListener {
  private readonly lastEdit = new Map<string, number>();

  constructor(private readonly s: SlackContext) {}

  async progress(op: Operation): Promise<void> {
    if (!this.s.api || op.state !== 'running') return;
    const now = this.s.deps.clock.now();
    if (now - (this.lastEdit.get(op.id) ?? 0) < EDIT_EVERY_MS) return;
    this.lastEdit.set(op.id, now);
    const msg = B.operationStatus(operationView(op));
    for (const t of this.targets(op)) {
      if (t.progress_ts)
        await this.s.api.update(t.channel, t.progress_ts, msg).catch((err) => this.warn(op, err));
    }
  }

  async finished(op: Operation): Promise<void> {
    this.lastEdit.delete(op.id);
    const { store, clock } = this.s.deps;
    const view = operationView(op);
    let targets = this.targets(op);
    const channel = this.s.deps.config.slack.notifyChannel;
    if (targets.length === 0 && channel) targets = [{ kind: 'slack', channel }];
    let retry: RetryLater | undefined;
    for (const t of targets) {
      const key = `slack:notice-sent:${op.id}:${t.channel}:${t.thread_ts ?? ''}`;
      // Reached in an earlier attempt (this notice is being retried for another place): not twice.
      if (await store.getValue(key)) continue;
      const outcome = await this.deliver(op, view, t);
      if (outcome === 'sent')
        await store.setValue(key, '1', clock.now() + GIVE_UP_AFTER_MS + NOTICE_LEASE_MS);
      else if (outcome instanceof RetryLater && (outcome.retryAfterMs ?? 0) >= (retry?.retryAfterMs ?? 0))
        retry = outcome;
    }
    if (retry) throw retry;
  }

  /** Posts the notice in the target's thread, or failing that through its response_url while valid. */
  private async deliver(op: Operation, view: OperationView, t: SlackTarget): Promise<Outcome> {
    const mention = t.user ? `<@${t.user}>` : `${B.esc(view.requester)}:`;
    const msg = B.operationStatus(view, mention);
    const api = this.s.api;
    // The final state in the message progress edited (a nicety: a failure here is only logged).
    if (api && t.progress_ts)
      await api.update(t.channel, t.progress_ts, B.operationStatus(view)).catch((err) => this.warn(op, err));
    if (!api) return this.viaResponseUrl(op, t, msg, 'there is no SLACK_BOT_TOKEN');
    try {
      await api.postMessage(t.channel, { ...msg, ...(t.thread_ts ? { thread_ts: t.thread_ts } : {}) });
      return 'sent';
    } catch (err) {
      const after = slackRetryAfter(err);
      if (after !== undefined) return new RetryLater(errorText(err), after);
      const why =
        slackErrorCode(err) === 'not_in_channel'
          ? `the bot is not in <#${t.channel}> (invite it)`
          : `chat.postMessage failed: ${errorText(err)}`;
      return this.viaResponseUrl(op, t, msg, why);
    }
  }

  private targets(op: Operation): SlackTarget[] {
    return op.notify.filter((t): t is SlackTarget => t.kind === 'slack');
  }

  /**
   * The fallback when the bot cannot post (not in the channel, or no bot token at all): the command's
   * response_url, while still valid (Slack keeps one for 30 minutes and 5 uses). It needs no token.
   */
  private async viaResponseUrl(
    op: Operation,
    t: SlackTarget,
    msg: B.SlackMessage,
    botFailure: string,
  ): Promise<Outcome> {
    const { store, clock, log } = this.s.deps;
    if (!t.response_url || (t.response_url_expires_at ?? 0) <= clock.now()) {
      log.warn('could not post an operation notice to Slack', {
        operation: op.id,
        why: `${botFailure}, and ${t.response_url ? "the command's response_url has expired (Slack keeps one for 30 minutes)" : 'there is no response_url to answer through'}`,
      });
      return 'failed';
    }
    const key = `slack:response-url-uses:${op.id}:${t.channel}`;
    const uses = Number((await store.getValue(key)) ?? '0');
    if (uses >= RESPONSE_URL_USES) {
      log.warn('could not post an operation notice to Slack', {
        operation: op.id,
        why: `${botFailure}, and the command's response_url was used ${RESPONSE_URL_USES} times (Slack's limit)`,
      });
      return 'failed';
    }
    await store.setValue(key, String(uses + 1), t.response_url_expires_at);
    try {
      await this.s.responder.respond(t.response_url, { ...msg, response_type: 'in_channel' });
      return 'sent';
    } catch (err) {
      const after = slackRetryAfter(err);
      if (after !== undefined) return new RetryLater(errorText(err), after);
      this.warn(op, err);
      return 'failed';
    }
  }

  private warn(op: Operation, err: unknown): void {
    this.s.deps.log.warn('could not post an operation notice to Slack', { operation: op.id, error: err });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
