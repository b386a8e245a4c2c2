/**
 * Completion notices and progress in Slack: progress edits one message (chat.update, at most every 10 s per
 * operation) instead of flooding the channel; the outcome is posted in the thread it came from, mentioning who
 * asked, with each machine's final status and MAAS's reason for failures. Operations started elsewhere (an
 * agent) go to SLACK_NOTIFY_CHANNEL. A command's response_url is used only while it is valid (30 min, 5 uses).
 */
import type { OperationListener } from '../core/operations/notify.ts';
import { operationView } from '../core/operations/service.ts';
import type { NotifyTarget, Operation } from '../store/types.ts';
import * as B from './blocks.ts';
import type { SlackContext } from './context.ts';

const EDIT_EVERY_MS = 10_000;
const RESPONSE_URL_USES = 5;

type SlackTarget = Extract<NotifyTarget, { kind: 'slack' }>;

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
    const view = operationView(op);
    let targets = this.targets(op);
    const channel = this.s.deps.config.slack.notifyChannel;
    if (targets.length === 0 && channel) targets = [{ kind: 'slack', channel }];
    for (const t of targets) {
      const mention = t.user ? `<@${t.user}>` : `${B.esc(view.requester)}:`;
      const msg = B.operationStatus(view, mention);
      if (this.s.api && t.progress_ts)
        await this.s.api
          .update(t.channel, t.progress_ts, B.operationStatus(view))
          .catch((err) => this.warn(op, err));
      // With no bot token (slash commands only), the response_url is the only way back.
      let failure: unknown = 'no bot token';
      if (this.s.api) {
        try {
          await this.s.api.postMessage(t.channel, {
            ...msg,
            ...(t.thread_ts ? { thread_ts: t.thread_ts } : {}),
          });
          continue;
        } catch (err) {
          failure = err;
        }
      }
      if (!(await this.viaResponseUrl(op, t, msg))) this.warn(op, failure);
    }
  }

  private targets(op: Operation): SlackTarget[] {
    return op.notify.filter((t): t is SlackTarget => t.kind === 'slack');
  }

  /**
   * The fallback when the bot cannot post (not in the channel, or no bot token at all): the command's
   * response_url, if still valid. It needs no token.
   */
  private async viaResponseUrl(op: Operation, t: SlackTarget, msg: B.SlackMessage): Promise<boolean> {
    const { store, clock } = this.s.deps;
    if (!t.response_url || (t.response_url_expires_at ?? 0) <= clock.now()) return false;
    const key = `slack:response-url-uses:${op.id}:${t.channel}`;
    const uses = Number((await store.getValue(key)) ?? '0');
    if (uses >= RESPONSE_URL_USES) return false;
    await store.setValue(key, String(uses + 1), t.response_url_expires_at);
    try {
      await this.s.responder.respond(t.response_url, { ...msg, response_type: 'in_channel' });
      return true;
    } catch {
      return false;
    }
  }

  private warn(op: Operation, err: unknown): void {
    this.s.deps.log.warn('could not post an operation notice to Slack', { operation: op.id, error: err });
  }
}
