/**
 * Deciding an agent's call held for a person's approval (README "Human approval"): who may decide, opening the held
 * call, claiming the decision so two people cannot both run it, running it through the one path with the machines
 * as the approver was shown them, and ending the operation when it did not become a tracked one. Slack's
 * Approve/Deny buttons and the status page both decide here, so the checks are the same wherever a person clicks.
 */
import { isButtonSecret, unseal } from '../base/seal.ts';
import type { Role } from '../config.ts';
import { FINAL_STATES, type Operation } from '../store/types.ts';
import { type Principal, roleAtLeast } from './access.ts';
import { recordAudit } from './audit.ts';
import type { Deps } from './deps.ts';
import { describeError } from './errors.ts';
import { GateRefusal } from './gate.ts';
import { runTool } from './invoke.ts';
import { announceEnd, cancelOperation } from './operations/service.ts';
import { addApproval, approversNeeded } from './policy/approvals.ts';
import type { ActionResult } from './result.ts';
import type { AnyTool } from './tool.ts';

type PendingCall = NonNullable<Operation['pending_call']>;

/** Who decides: as the audit names them, and with the role they have now (undefined: none at all). */
export interface Decider {
  id: string;
  via: Principal['via'];
  role: Role | undefined;
  /** How the audit's detail names them: `<@U123>` in Slack, the principal on the page. */
  label: string;
  /** What to call a missing role in a refusal ("not listed in SLACK_ROLES"). */
  noRole: string;
}

/** How the held call's sealed arguments are opened: the Approve button's secret, or the server's own key. */
export type HeldKey = { buttonSecret: string } | { serverKey: string };

/** What came of a decision. */
export type DecisionOutcome =
  /** Nothing happened: no such request, already decided, not theirs to decide, or the key does not open it. */
  | { kind: 'refused'; message: string; forbidden?: true }
  /** Approval counted, but a policy rule asks for more people before it runs. */
  | { kind: 'recorded'; have: number; needed: number; op: Operation }
  /** Approved and run: `outcome` is the tool's summary (or its error). */
  | { kind: 'ran'; ok: boolean; outcome: string; op: Operation }
  /** Ended without running: denied, expired, or the machines changed since the approver was shown them. */
  | { kind: 'cancelled'; reason: 'denied' | 'expired' | 'stale'; why: string; op: Operation };

/** Why `role` may not decide a held call of `tool` (at least operator, and at least the tool's role), if it may not. */
function decisionRefusal(
  tool: Pick<AnyTool, 'minRole'> | undefined,
  role: Role | undefined,
  noRole = 'without a role',
): string | undefined {
  const needed = tool && roleAtLeast(tool.minRole, 'operator') ? tool.minRole : 'operator';
  if (!role || !roleAtLeast(role, needed))
    return `Only people with the ${needed} role can decide this (you are ${role ?? noRole}).`;
  return undefined;
}

/** Whether `role` may decide the held operation `op` (what the status page and App Home offer buttons for). */
export function mayDecide(tools: readonly AnyTool[], op: Operation, role: Role | undefined): boolean {
  return (
    decisionRefusal(
      tools.find((t) => t.name === op.tool),
      role,
    ) === undefined
  );
}

/** Every call still waiting for a person, oldest first. */
export async function heldCalls(deps: Deps, limit = 50): Promise<Operation[]> {
  const ops = await deps.store.listOperations({ state: ['awaiting_approval'], limit });
  return ops.filter((op) => op.pending_call).reverse();
}

/** The held call's arguments; undefined when `key` does not open them. */
async function heldArgs(call: PendingCall, key: HeldKey): Promise<Record<string, unknown> | undefined> {
  if (call.sealed === undefined) return call.args;
  let secret: string | undefined;
  if ('buttonSecret' in key) secret = key.buttonSecret;
  else if (call.server_sealed !== undefined) secret = await unseal(key.serverKey, call.server_sealed);
  const text = secret && isButtonSecret(secret) ? await unseal(secret, call.sealed) : undefined;
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

async function audit(
  deps: Deps,
  op: Operation,
  who: Decider,
  result: 'approved' | 'denied' | 'refused',
  detail: string,
) {
  const principal: Principal = { id: who.id, role: who.role ?? 'viewer', via: who.via };
  await recordAudit(
    { deps, principal },
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

/** The held request `opId`, if it is still undecided and `who` may decide it; else what to tell them. */
async function undecided(
  deps: Deps,
  tools: readonly AnyTool[],
  opId: string,
  who: Decider,
  decision: 'approval' | 'denial',
): Promise<{ held: Operation & { pending_call: PendingCall } } | { refused: DecisionOutcome }> {
  const op = await deps.store.getOperation(opId);
  if (!op) return { refused: { kind: 'refused', message: `There is no operation ${opId}.` } };
  const call = op.pending_call;
  if (op.state !== 'awaiting_approval' || !call) {
    const state = FINAL_STATES.has(op.state) ? op.state : 'already approved';
    return { refused: { kind: 'refused', message: `This request was already decided (${state}).` } };
  }
  const refusal = decisionRefusal(
    tools.find((t) => t.name === op.tool),
    who.role,
    who.noRole,
  );
  if (refusal) {
    await audit(deps, op, who, 'refused', `${decision} by ${who.label} refused: ${refusal}`);
    return { refused: { kind: 'refused', message: refusal, forbidden: true } };
  }
  return { held: { ...op, pending_call: call } };
}

const AT_ONCE = 'Someone else decided this at the same moment.';

/** Approves the held call `opId` and runs it as the agent asked, if it still may run. */
export async function approveHeld(
  deps: Deps,
  tools: readonly AnyTool[],
  opId: string,
  key: HeldKey,
  who: Decider,
): Promise<DecisionOutcome> {
  const found = await undecided(deps, tools, opId, who, 'approval');
  if ('refused' in found) return found.refused;
  const op = found.held;
  const args = await heldArgs(op.pending_call, key);
  if (!args)
    return { kind: 'refused', message: 'This button does not open that request; nothing was changed.' };
  // Too late: the request expired, even if the poller has not said so yet.
  if (deps.clock.now() >= op.deadline_at) {
    return cancelHeld(deps, op, who, 'expired', 'approval expired', 'not run: approval expired', [
      'refused',
      `approval by ${who.label} not run: approval expired`,
    ]);
  }
  // Count the approval (core/policy/approvals.ts): the last one needed claims the call, so two people clicking at
  // once cannot both run it; with `approvers: N` the earlier ones are recorded on the held call.
  const approver: Principal = { id: who.id, role: who.role ?? 'viewer', via: who.via };
  const step = await addApproval(deps, op, approver);
  if (step.kind === 'refused') {
    await audit(deps, op, who, 'refused', `approval by ${who.label} not counted: ${step.why}`);
    return { kind: 'refused', message: step.why };
  }
  if (step.kind === 'recorded') {
    await audit(deps, step.op, who, 'approved', `approval ${step.have} of ${step.needed} by ${who.label}`);
    return { kind: 'recorded', have: step.have, needed: step.needed, op: step.op };
  }
  const { call, op: claimed } = step;
  const needed = approversNeeded(call);
  await audit(
    deps,
    claimed,
    who,
    'approved',
    needed > 1
      ? `approved by ${who.label} (${needed} of ${needed}: ${step.by.join(', ')})`
      : `approved by ${who.label}`,
  );
  const tool = tools.find((t) => t.name === call.tool);
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
      deps,
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
    await settleHeld(deps, op.id, out);
  } catch (err) {
    if (err instanceof GateRefusal) {
      const why = err.message.replace(/^Not done: /, '');
      // The one path has audited the refusal.
      return cancelHeld(deps, claimed, who, 'stale', why, `not run: ${why}`);
    }
    outcome = describeError(err, deps.secrets, deps.log);
    await settleHeld(deps, op.id, undefined, outcome);
  }
  const now = await deps.store.getOperation(op.id);
  return { kind: 'ran', ok, outcome, op: now ?? claimed };
}

/** Denies the held call `opId`: nothing is run, the agent and the channel are told. */
export async function denyHeld(
  deps: Deps,
  tools: readonly AnyTool[],
  opId: string,
  who: Decider,
): Promise<DecisionOutcome> {
  const found = await undecided(deps, tools, opId, who, 'denial');
  if ('refused' in found) return found.refused;
  const op = found.held;
  return cancelHeld(deps, op, who, 'denied', `denied by ${who.id}`, `denied by ${who.id}`, [
    'denied',
    `denied by ${who.label}`,
  ]);
}

/**
 * After an approved call ran: if it did not turn into a tracked operation (nothing MAAS finishes later, or it
 * failed), the held operation ends here with what happened, and the agent is told.
 */
async function settleHeld(
  deps: Deps,
  id: string,
  out: ActionResult | undefined,
  error?: string,
): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const op = await deps.store.getOperation(id);
    if (op?.state !== 'awaiting_approval') return;
    const now = deps.clock.now();
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
    const saved = await deps.store.updateOperation(op);
    if (!saved) continue;
    await announceEnd(deps, saved);
    return;
  }
}

/** Cancels a held request (denied, expired or stale): records it, audits it, tells the agent. */
async function cancelHeld(
  deps: Deps,
  op: Operation,
  who: Decider,
  reason: 'denied' | 'expired' | 'stale',
  why: string,
  summary: string,
  auditAs?: ['denied' | 'refused', string],
): Promise<DecisionOutcome> {
  const done = await cancelOperation(deps, op, { error: why, summary });
  if (!done) return { kind: 'refused', message: AT_ONCE };
  if (auditAs) await audit(deps, done.op, who, auditAs[0], auditAs[1]);
  return { kind: 'cancelled', reason, why, op: done.op };
}

/** What came of a decision on `id`, in one line for a person (the status page, App Home). */
export function describeDecision(id: string, out: DecisionOutcome): string {
  switch (out.kind) {
    case 'refused':
      return out.message;
    case 'recorded': {
      const left = out.needed - out.have;
      return `Your approval of ${id} is recorded (${out.have} of ${out.needed}); ${left} more ${left === 1 ? 'person' : 'people'} must approve before it runs.`;
    }
    case 'ran':
      return out.ok ? `Approved ${id}: ${out.outcome}` : `Approved ${id}, but it failed: ${out.outcome}`;
    case 'cancelled':
      if (out.reason === 'denied') return `Denied ${id}: nothing was changed.`;
      if (out.reason === 'expired') return `Too late: ${id} expired; nothing was changed.`;
      return `Not run: ${out.why} Ask the agent to try again.`;
  }
}
