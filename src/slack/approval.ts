/**
 * Human approval for agents (MAAS_MCP_CONFIRM=slack): an MCP client's destructive call becomes an operation in
 * state awaiting_approval, and a request with Approve/Deny goes to SLACK_NOTIFY_CHANNEL. Approval runs the held
 * call as that same operation; denial or expiry refuses it. The agent follows it with operation_get, `wait`, or
 * the completion notice.
 */

import { type Principal, roleAtLeast } from '../core/access.ts';
import { recordAudit } from '../core/audit.ts';
import type { ApprovalNeed, GatedTool, ToolContext } from '../core/deps.ts';
import { describeError } from '../core/errors.ts';
import { GateRefusal } from '../core/gate.ts';
import { runTool } from '../core/invoke.ts';
import { announceEnd, cancelOperation, newOperationId } from '../core/operations/service.ts';
import { operationView } from '../core/operations/view.ts';
import type { Plan } from '../core/plan.ts';
import { addApproval, approversNeeded } from '../core/policy/approvals.ts';
import type { ActionResult } from '../core/result.ts';
import { FINAL_STATES, type Operation } from '../store/types.ts';
import { slackErrorCode } from './api.ts';
import type { SlackMessage } from './blocks.ts';
import * as B from './blocks.ts';
import type { SlackContext } from './context.ts';
import { isButtonSecret, newButtonSecret, seal, unseal } from './sealed.ts';

type PendingCall = NonNullable<Operation['pending_call']>;

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

/** Who may approve a held call: a Slack user with at least the tool's role (and at least operator). */
async function mayDecide(s: SlackContext, op: Operation, userId: string): Promise<string | undefined> {
  const tool = s.tools.find((t) => t.name === op.tool);
  const role = await s.roles.roleOf(userId);
  const needed = tool && roleAtLeast(tool.minRole, 'operator') ? tool.minRole : 'operator';
  if (!role || !roleAtLeast(role, needed))
    return `Only people with the ${needed} role can decide this (you are ${role ?? 'not listed in SLACK_ROLES'}).`;
  return undefined;
}

async function audit(
  s: SlackContext,
  op: Operation,
  userId: string,
  result: 'approved' | 'denied' | 'refused',
  detail: string,
) {
  const principal: Principal = { id: userId, role: (await s.roles.roleOf(userId)) ?? 'viewer', via: 'slack' };
  await recordAudit(
    { deps: s.deps, principal },
    {
      tool: op.tool,
      args: {},
      result,
      detail,
      operation_id: op.id,
      targets: op.targets.map((t) => ({
        system_id: t.system_id,
        hostname: t.hostname,
        before: t.start_status,
      })),
    },
  );
}

/** The held request `opId`, if it is still undecided and `userId` may decide it; else what to tell them. */
async function undecided(
  s: SlackContext,
  opId: string,
  userId: string,
  decision: 'approval' | 'denial',
): Promise<(Operation & { pending_call: PendingCall }) | { ephemeral: string }> {
  const op = await s.deps.store.getOperation(opId);
  if (!op) return { ephemeral: `There is no operation ${opId}.` };
  const call = op.pending_call;
  if (op.state !== 'awaiting_approval' || !call) return decided(op);
  const refusal = await mayDecide(s, op, userId);
  if (refusal) {
    await audit(s, op, userId, 'refused', `${decision} by <@${userId}> refused: ${refusal}`);
    return { ephemeral: refusal };
  }
  return { ...op, pending_call: call };
}

/** An Approve/Deny button's value: the operation id and the secret its call is sealed with. */
function buttonParts(value: string): { opId: string; secret: string } {
  const [opId = '', secret = ''] = value.split('.', 2);
  return { opId, secret };
}

/** The held call's arguments, opened with the button's secret; undefined when the secret does not open them. */
async function heldArgs(call: PendingCall, secret: string): Promise<Record<string, unknown> | undefined> {
  if (call.sealed === undefined) return call.args;
  const text = isButtonSecret(secret) ? await unseal(secret, call.sealed) : undefined;
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

export async function approve(
  s: SlackContext,
  value: string,
  userId: string,
): Promise<SlackMessage | { ephemeral: string }> {
  const { opId, secret } = buttonParts(value);
  const op = await undecided(s, opId, userId, 'approval');
  if ('ephemeral' in op) return op;
  const args = await heldArgs(op.pending_call, secret);
  if (!args) return { ephemeral: 'This button does not open that request; nothing was changed.' };
  // Too late: the request expired, even if the poller has not said so yet.
  if (s.deps.clock.now() >= op.deadline_at) {
    return cancelHeld(s, op, userId, {
      why: 'approval expired',
      summary: 'not run: approval expired',
      audit: ['refused', `approval by <@${userId}> not run: approval expired`],
      headline: ':hourglass: Too late: this request expired; nothing was changed.',
    });
  }
  // Count the approval; the last one needed claims the call, so two people clicking at once cannot both run it.
  const approver: Principal = { id: userId, role: (await s.roles.roleOf(userId)) ?? 'viewer', via: 'slack' };
  const step = await addApproval(s.deps, op, approver);
  if (step.kind === 'refused') {
    await audit(s, op, userId, 'refused', `approval by <@${userId}> not counted: ${step.why}`);
    return { ephemeral: step.why };
  }
  if (step.kind === 'recorded') {
    const left = step.needed - step.have;
    await audit(s, step.op, userId, 'approved', `approval ${step.have} of ${step.needed} by <@${userId}>`);
    return {
      ephemeral: `Your approval is recorded (${step.have} of ${step.needed}); ${left} more ${left === 1 ? 'person' : 'people'} must approve before it runs.`,
    };
  }
  const { call, op: claimed } = step;
  const needed = approversNeeded(call);
  await audit(
    s,
    claimed,
    userId,
    'approved',
    needed > 1
      ? `approved by <@${userId}> (${needed} of ${needed}: ${step.by.join(', ')})`
      : `approved by <@${userId}>`,
  );
  const tool = s.tools.find((t) => t.name === call.tool);
  const principal: Principal = {
    id: op.requester.principal,
    role: op.requester.role ?? 'operator',
    via: op.requester.via,
  };
  let outcome: string;
  let ok = false;
  try {
    if (!tool) throw new Error(`tool ${call.tool} no longer exists`);
    const out = (await runTool(tool, args, {
      deps: s.deps,
      principal,
      // The approver was shown the machines as they were when the agent asked: if any changed since, the gate
      // refuses to run it.
      confirmedAgainst:
        call.snapshot ?? op.targets.map((t) => ({ system_id: t.system_id, status: t.status_code })),
      approvedBy: step.by,
      operationId: op.id,
      notifyTargets: claimed.notify,
      announceCompletion: true,
    })) as ActionResult;
    outcome = out.summary;
    ok = !tool.failed?.(out);
    await settleHeld(s, op.id, out);
  } catch (err) {
    if (err instanceof GateRefusal) {
      const why = err.message.replace(/^Not done: /, '');
      // The one path has audited the refusal.
      return cancelHeld(s, claimed, userId, {
        why,
        summary: `not run: ${why}`,
        headline: `:warning: Not run: ${B.esc(why)} Ask the agent to try again.`,
      });
    }
    outcome = describeError(err, s.deps.secrets, s.deps.log);
    await settleHeld(s, op.id, undefined, outcome);
  }
  const now = await s.deps.store.getOperation(op.id);
  const view = operationView(now ?? claimed);
  const msg = B.operationStatus(view);
  return {
    ...msg,
    blocks: [
      B.section(
        ok
          ? `:white_check_mark: Approved by <@${userId}>: ${B.esc(outcome)}`
          : `:x: Approved by <@${userId}>, but it failed: ${B.esc(outcome)}`,
      ),
      ...(msg.blocks ?? []),
    ],
  };
}

/**
 * After an approved call ran: if it did not turn into a tracked operation (nothing MAAS finishes later, or it
 * failed), the held operation ends here with what happened, and the agent is told.
 */
async function settleHeld(
  s: SlackContext,
  id: string,
  out: ActionResult | undefined,
  error?: string,
): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const op = await s.deps.store.getOperation(id);
    if (op?.state !== 'awaiting_approval') return;
    const now = s.deps.clock.now();
    const done = new Map((out?.succeeded ?? []).map((r) => [r.system_id, r]));
    const failed = new Map((out?.failed ?? []).map((r) => [r.system_id, r.error]));
    for (const t of op.targets) {
      const d = done.get(t.system_id);
      if (d) Object.assign(t, { result: 'succeeded', status: d.after, finished_at: now });
      else
        Object.assign(t, {
          result: 'failed',
          finished_at: now,
          error: failed.get(t.system_id) ?? error ?? 'not done',
        });
    }
    const ok = op.targets.filter((t) => t.result === 'succeeded').length;
    op.state = ok === op.targets.length ? 'succeeded' : ok === 0 ? 'failed' : 'partial';
    op.finished_at = now;
    op.updated_at = now;
    const saved = await s.deps.store.updateOperation(op);
    if (!saved) continue;
    await announceEnd(s.deps, saved);
    return;
  }
}

export async function deny(
  s: SlackContext,
  value: string,
  userId: string,
): Promise<SlackMessage | { ephemeral: string }> {
  const op = await undecided(s, buttonParts(value).opId, userId, 'denial');
  if ('ephemeral' in op) return op;
  return cancelHeld(s, op, userId, {
    why: `denied by ${userId}`,
    summary: `denied by ${userId}`,
    audit: ['denied', `denied by <@${userId}>`],
    headline: `:no_entry: Denied by <@${userId}> — nothing was changed.`,
  });
}

/** Cancels a held request (denied, expired or stale): records it, audits it, tells the agent and the channel. */
async function cancelHeld(
  s: SlackContext,
  op: Operation,
  userId: string,
  how: { why: string; summary: string; audit?: ['denied' | 'refused', string]; headline: string },
): Promise<SlackMessage | { ephemeral: string }> {
  const done = await cancelOperation(s.deps, op, { error: how.why, summary: how.summary });
  if (!done) return { ephemeral: 'Someone else decided this at the same moment.' };
  if (how.audit) await audit(s, done.op, userId, how.audit[0], how.audit[1]);
  const msg = B.operationStatus(operationView(done.op));
  return { ...msg, blocks: [B.section(how.headline), ...(msg.blocks ?? [])] };
}

function decided(op: Operation): { ephemeral: string } {
  const state = FINAL_STATES.has(op.state) ? op.state : 'already approved';
  return { ephemeral: `This request was already decided (${state}).` };
}
