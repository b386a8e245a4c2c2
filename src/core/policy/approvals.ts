/**
 * Approving a held call (README "Guardrails", "Human approval"): the state machine every place that shows the
 * Approve button shares — Slack and the status page. A call held by an `approve` rule with
 * `approvers: N` runs once N distinct people approved it, none of them the requester; until then each approval is
 * recorded on the held operation. The last approval claims the call (so two clicks at once cannot both run it) and
 * hands it back to be run with the same re-checks as a single approval (the machines as the approvers saw them,
 * the policy as it is now). Slack's buttons and the status page both count approvals here (core/approvals.ts).
 */
import type { Operation, Store } from '../../store/types.ts';
import type { Principal } from '../access.ts';

type PendingCall = NonNullable<Operation['pending_call']>;

/** One person who approved. */
export interface Approver {
  principal: string;
  via: Principal['via'];
  at: number;
}

export type ApprovalStep =
  /** Not counted: the requester, someone who already approved, or someone deciding at the same moment. */
  | { kind: 'refused'; why: string }
  /** Counted; more people must approve. */
  | { kind: 'recorded'; op: Operation; have: number; needed: number }
  /** The last approval needed: the call is claimed and must now be run by the caller. */
  | { kind: 'ready'; op: Operation; call: PendingCall; by: string[] };

/** How many people must approve a held call (1 unless a rule asked for more). */
export function approversNeeded(call: PendingCall): number {
  return call.approvals?.needed ?? 1;
}

/** Who is who in an approval: source and id (a Slack user and an MCP token of one name are different people). */
export function approverKey(p: { principal: string; via: string }): string {
  return `${p.via}:${p.principal}`;
}

/**
 * Records `approver`'s approval of the held call `op` (still awaiting approval, read just now): refuses the
 * requester and a second approval by the same person; claims the call when it is the last one needed.
 */
export async function addApproval(
  deps: { store: Store; clock: { now(): number } },
  op: Operation & { pending_call: PendingCall },
  approver: Principal,
): Promise<ApprovalStep> {
  const call = op.pending_call;
  const needed = approversNeeded(call);
  // A policy's `approve` rule asks for someone other than the requester. A call held only because
  // MAAS_MCP_CONFIRM=slack asks a person to confirm what their agent does: whoever may decide may approve it, as
  // on the status page in the demo, where the agent and the person share the one local principal.
  if (call.approvals && op.requester.principal === approver.id && op.requester.via === approver.via) {
    return { kind: 'refused', why: 'You asked for this, so you cannot approve it: someone else must.' };
  }
  const by = call.approvals?.by ?? [];
  const key = approverKey({ principal: approver.id, via: approver.via });
  if (by.some((a) => approverKey(a) === key)) {
    const left = needed - by.length;
    return {
      kind: 'refused',
      why: `You already approved this; ${left} more ${left === 1 ? 'person' : 'people'} must approve it.`,
    };
  }
  const now = deps.clock.now();
  const all = [...by, { principal: approver.id, via: approver.via, at: now }];
  if (all.length < needed) {
    const saved = await deps.store.updateOperation({
      ...op,
      pending_call: { ...call, approvals: { ...(call.approvals ?? { needed, rules: [] }), by: all } },
      updated_at: now,
    });
    if (!saved) return { kind: 'refused', why: 'Someone else decided this at the same moment; try again.' };
    return { kind: 'recorded', op: saved, have: all.length, needed };
  }
  // The last approval: claim the call, so that it runs once.
  const claimed = await deps.store.updateOperation({ ...op, pending_call: null, updated_at: now });
  if (!claimed) return { kind: 'refused', why: 'Someone else decided this at the same moment.' };
  return { kind: 'ready', op: claimed, call, by: all.map(approverKey) };
}
