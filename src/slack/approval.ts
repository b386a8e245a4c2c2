/**
 * Human approval for agents (MAAS_MCP_CONFIRM=slack): an MCP client's destructive call becomes an operation in
 * state awaiting_approval, and a request with Approve/Deny goes to SLACK_NOTIFY_CHANNEL. Approval runs the held
 * call as that same operation; denial or expiry refuses it. The agent follows it with operation_get, `wait`, or
 * the completion notice. The decision itself (who may, the re-check, running it) is core/approvals.ts, shared with
 * the status page.
 */

import { approveHeld, type DecisionOutcome, denyHeld } from '../core/approvals.ts';
import type { ApprovalNeed, GatedTool, ToolContext } from '../core/deps.ts';
import { GateRefusal } from '../core/gate.ts';
import { cancelOperation, newOperationId } from '../core/operations/service.ts';
import { operationView } from '../core/operations/view.ts';
import type { Plan } from '../core/plan.ts';
import type { ActionResult } from '../core/result.ts';
import type { Operation } from '../store/types.ts';
import { slackErrorCode } from './api.ts';
import type { SlackMessage } from './blocks.ts';
import * as B from './blocks.ts';
import { decider, type SlackContext } from './context.ts';
import { refreshHomes } from './home.ts';
import { newButtonSecret, seal } from './sealed.ts';

/** How long a request waits for a person before it is refused. */
export const APPROVAL_TTL_MS = 30 * 60_000;

/**
 * Holds an agent's call for a person's approval (Deps.requestApproval, asked by the confirmation gate): the call
 * becomes an operation awaiting approval, and the request is posted to SLACK_NOTIFY_CHANNEL. The one path audits
 * the answer (and waits on it, with `wait: true`).
 */
export async function requestApproval(
  s: SlackContext,
  tool: GatedTool,
  args: Record<string, unknown>,
  plan: Plan,
  ctx: ToolContext,
  need?: ApprovalNeed,
): Promise<ActionResult> {
  const channel = s.deps.config.slack.notifyChannel;
  if (!s.api || !channel) {
    throw new GateRefusal(
      'MAAS_MCP_CONFIRM=slack needs SLACK_BOT_TOKEN and SLACK_NOTIFY_CHANNEL to ask a person for approval',
    );
  }
  const { store, clock } = s.deps;
  const now = clock.now();
  const run = plan.rows.filter((r) => r.verdict === 'run');
  const statusOf = new Map(plan.snapshot.map((t) => [t.system_id, t.status]));
  const { confirm_token: _token, wait: _wait, wait_timeout_s: _timeout, ...call } = args;
  // The arguments (maybe user_data) are stored sealed; the key travels only in the Approve button.
  const secret = newButtonSecret();
  const op: Operation = {
    id: ctx.operationId ?? newOperationId(),
    kind: tool.operationKind?.(args) ?? 'action',
    tool: tool.name,
    state: 'awaiting_approval',
    targets: run.map((r) => ({
      system_id: r.system_id,
      hostname: r.hostname,
      start_status: r.status,
      status: r.status,
      status_code: statusOf.get(r.system_id) ?? 0,
      status_message: '',
      power_state: r.power,
      result: 'pending' as const,
      history: [{ at: now, status: r.status, message: 'awaiting approval' }],
      finished_at: null,
    })),
    requester: { principal: ctx.principal.id, via: ctx.principal.via, role: ctx.principal.role },
    notify: [...(ctx.notifyTargets ?? []), { kind: 'slack', channel }],
    created_at: now,
    updated_at: now,
    deadline_at: now + APPROVAL_TTL_MS,
    finished_at: null,
    next_poll_at: now + APPROVAL_TTL_MS,
    notice_sent_at: null,
    summary: `${tool.title.toLowerCase()}: ${run.map((r) => r.hostname).join(', ')}`.slice(0, 200),
    pending_call: {
      tool: tool.name,
      args: {},
      sealed: await seal(secret, JSON.stringify(call)),
      ...(s.deps.sealKey ? { server_sealed: await seal(s.deps.sealKey, secret) } : {}),
      snapshot: plan.snapshot,
      ...(need
        ? {
            approvals: {
              needed: need.approvers,
              rules: need.rules,
              ...(need.reason ? { reason: need.reason } : {}),
              by: [],
            },
          }
        : {}),
    },
    version: 0,
  };
  await store.createOperation(op);
  let posted: { ts: string };
  try {
    posted = await s.api.postMessage(
      channel,
      B.approvalRequest(
        operationView(op),
        `${ctx.principal.id} (${ctx.principal.via})`,
        tool.phrase,
        plan.rows,
        `${op.id}.${secret}`,
        need,
      ),
    );
  } catch (err) {
    // Nobody can see the request: it must not wait 30 minutes for an approval that cannot come.
    const why = `could not post the approval request to #${channel}: ${postFailure(err)}`;
    await cancelOperation(s.deps, op, { error: why, summary: `not run: ${why}` });
    throw new GateRefusal(`Not done: ${why}. Nothing was changed.`, { operation_id: op.id });
  }
  await s.threads.attach(op.id, channel, posted.ts);
  s.deps.kickPoller();
  // Approvers looking at their App Home see it there too.
  await refreshHomes(s, undefined, true);
  const who = need && need.approvers > 1 ? `${need.approvers} people (not the requester)` : 'a person';
  const why = need ? ` (policy: ${need.reason ?? `rule ${need.rules.join(', ')}`})` : '';
  return {
    status: 'awaiting_approval',
    action: tool.phrase,
    summary: `Waiting for ${who} to approve this in Slack${why}: ${run.length} machine${run.length === 1 ? '' : 's'}. Nothing has changed yet.`,
    succeeded: [],
    skipped: [],
    failed: [],
    not_found: plan.missing,
    preview: plan.rows,
    operation_id: op.id,
  };
}

/** Why Slack refused to post, in words a person can act on. */
function postFailure(err: unknown): string {
  const code = slackErrorCode(err);
  switch (code) {
    case 'not_in_channel':
      return 'the bot is not in that channel — invite it';
    case 'channel_not_found':
      return 'there is no such channel — check SLACK_NOTIFY_CHANNEL (a channel id like C0123)';
    case 'is_archived':
      return 'that channel is archived — choose another SLACK_NOTIFY_CHANNEL';
    case 'invalid_auth':
    case 'not_authed':
    case 'token_revoked':
    case 'account_inactive':
      return 'Slack refused the bot token — check SLACK_BOT_TOKEN';
    case 'missing_scope':
      return 'the bot lacks the chat:write scope';
    case undefined:
      return `Slack could not be reached (${err instanceof Error ? err.message : String(err)})`;
    default:
      return `Slack answered ${code}`;
  }
}

/** An Approve/Deny button's value: the operation id and the secret its call is sealed with. */
function buttonParts(value: string): { opId: string; secret: string } {
  const [opId = '', secret = ''] = value.split('.', 2);
  return { opId, secret };
}

export async function approve(
  s: SlackContext,
  value: string,
  userId: string,
): Promise<SlackMessage | { ephemeral: string }> {
  const { opId, secret } = buttonParts(value);
  const out = await approveHeld(s.deps, s.tools, opId, { buttonSecret: secret }, await decider(s, userId));
  return decisionMessage(out, userId);
}

export async function deny(
  s: SlackContext,
  value: string,
  userId: string,
): Promise<SlackMessage | { ephemeral: string }> {
  const out = await denyHeld(s.deps, s.tools, buttonParts(value).opId, await decider(s, userId));
  return decisionMessage(out, userId);
}

/** The approval request's message rewritten with what came of a decision (or what to tell only the clicker). */
function decisionMessage(out: DecisionOutcome, userId: string): SlackMessage | { ephemeral: string } {
  if (out.kind === 'refused') return { ephemeral: out.message };
  if (out.kind === 'recorded') {
    const left = out.needed - out.have;
    return {
      ephemeral: `Your approval is recorded (${out.have} of ${out.needed}); ${left} more ${left === 1 ? 'person' : 'people'} must approve before it runs.`,
    };
  }
  const msg = B.operationStatus(operationView(out.op));
  let headline: string;
  if (out.kind === 'ran') {
    headline = out.ok
      ? `:white_check_mark: Approved by <@${userId}>: ${B.esc(out.outcome)}`
      : `:x: Approved by <@${userId}>, but it failed: ${B.esc(out.outcome)}`;
  } else if (out.reason === 'denied') {
    headline = `:no_entry: Denied by <@${userId}> — nothing was changed.`;
  } else if (out.reason === 'expired') {
    headline = ':hourglass: Too late: this request expired; nothing was changed.';
  } else {
    headline = `:warning: Not run: ${B.esc(out.why)} Ask the agent to try again.`;
  }
  return { ...msg, blocks: [B.section(headline), ...(msg.blocks ?? [])] };
}
