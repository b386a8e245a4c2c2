/** What every part of the Slack adapter shares. */
import type { Decider } from '../core/approvals.ts';
import type { Deps } from '../core/deps.ts';
import type { AnyTool } from '../core/tool.ts';
import type { SlackApi } from './api.ts';
import type { SlackRoles } from './roles.ts';

export interface SlackContext {
  deps: Deps;
  /** The Web API with the bot token; absent when only slash commands (response_url) are configured. */
  api: SlackApi | undefined;
  /** Answers through response_urls (and scrubs acks): needs no bot token, so it is always there. */
  responder: SlackApi;
  roles: SlackRoles;
  tools: readonly AnyTool[];
  threads: OperationThreads;
}

/**
 * Where an operation's Slack messages live: the message progress edits (`progress_ts`) and the thread the
 * completion notice replies in (`thread_ts`). Kept on the operation itself, so a restart finds them.
 */
export class OperationThreads {
  constructor(private readonly deps: Deps) {}

  async attach(operationId: string, channel: string, ts: string): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const op = await this.deps.store.getOperation(operationId);
      if (!op) return;
      const target = op.notify.find((t) => t.kind === 'slack' && t.channel === channel);
      if (target && target.kind === 'slack') {
        target.thread_ts = ts;
        target.progress_ts = ts;
      } else {
        op.notify.push({ kind: 'slack', channel, thread_ts: ts, progress_ts: ts });
      }
      if (await this.deps.store.updateOperation(op)) return;
    }
    this.deps.log.warn('could not record the Slack thread of an operation', { operation: operationId });
  }
}

/** How Slack names a person who clicks, for core/approvals.ts. */
export async function decider(s: SlackContext, userId: string): Promise<Decider> {
  return {
    id: userId,
    via: 'slack',
    role: await s.roles.roleOf(userId),
    label: `<@${userId}>`,
    noRole: 'not listed in SLACK_ROLES',
  };
}
