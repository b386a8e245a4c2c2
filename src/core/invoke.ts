/**
 * The one path. Every adapter — MCP, Slack, and later workflows, clusters and the status page — calls a tool
 * through here, and these rules hold whatever the tool declares and however it was defined:
 *
 * 1. access: the tool's toolset is on, read-only mode allows it, the caller's role is enough (one predicate,
 *    core/access.ts); a refusal is audited;
 * 2. the arguments validate against the tool's input schema (bad input: a message naming the field, nothing done);
 * 3. MAAS's rights: a tool only MAAS admins may use is refused with another user's API key;
 * 4. the preview, when the tool has one; then the policy decision (core/policy.ts);
 * 5. the confirmation gate (core/gate.ts) for every destructive tool, and for every call whose preview asks for it
 *    or that presents a confirm_token;
 * 6. the tool runs; its answer must validate against its own output schema;
 * 7. the audit: every call of a write tool (and of a tool whose answer is secret) leaves one record — done,
 *    partly done, failed, refused, cancelled or awaiting approval — unless it wrote nothing and says so;
 * 8. errors become one readable message ({@link invokeTool}), never a stack trace.
 */

import type { Operation } from '../store/types.ts';
import { unavailableBecause } from './access.ts';
import { recordAudit } from './audit.ts';
import type { AuditNote, Deps, RunContext, ToolContext } from './deps.ts';
import { describeError, InputError, Refusal, ToolError, zodMessage } from './errors.ts';
import { type GateNeed, gate } from './gate.ts';
import { operationProgress, waitForOperation } from './operations/service.ts';
import { operationView } from './operations/view.ts';
import { callPlan, type Plan } from './plan.ts';
import { decide, deniedAuditTargets, type PolicyDecision, withDenied } from './policy.ts';
import { type ActionResult, isHeld, settleActionResult } from './result.ts';
import { requireMaasAdmin } from './rights.ts';
import { type AnyTool, withoutSecrets } from './tool.ts';
import { waitSeconds } from './wait.ts';

/** A call's outcome as an adapter shows it: the answer, or one readable message. */
export type Outcome =
  | {
      ok: true;
      out: unknown;
      /** The call achieved nothing (every target failed): show the answer as an error. */
      isError: boolean;
    }
  | {
      ok: false;
      /** What went wrong, for the caller: no stack trace, no secret. */
      message: string;
      error: unknown;
      /** Set when the call was refused before it did anything: by whom. */
      refused?: Refusal['why'];
    };

/** Runs a tool call by the rules (see above); never throws: a failure is a readable message. */
export async function invokeTool(tool: AnyTool, input: unknown, ctx: ToolContext): Promise<Outcome> {
  try {
    const out = await runTool(tool, input, ctx);
    return { ok: true, out, isError: !isHeld(out) && tool.failed?.(out) === true };
  } catch (err) {
    const { secrets, log } = ctx.deps;
    log.info('tool failed', {
      tool: tool.name,
      principal: ctx.principal.id,
      error: describeError(err, secrets),
    });
    return {
      ok: false,
      message: describeError(err, secrets, log),
      error: err,
      ...(err instanceof Refusal ? { refused: err.why } : {}),
    };
  }
}

/**
 * Runs a tool call by the rules (see above) and answers what the tool answered (or what the gate held); throws
 * what went wrong. For callers that go on from the answer: a tool calling another, an approval running a held call.
 */
export async function runTool(tool: AnyTool, input: unknown, ctx: ToolContext): Promise<unknown> {
  const note: AuditNote = {};
  const run: RunContext = { ...ctx, audit: note };
  const { config } = ctx.deps;
  let args: Record<string, unknown> = {};
  let plan: Plan | undefined;
  try {
    const why = unavailableBecause(tool, {
      toolsets: config.toolsets,
      readOnly: config.readOnly,
      role: ctx.principal.role,
    });
    if (why) throw new Refusal(why, 'access');
    args = parseInput(tool, input);
    if (tool.maasAdmin) await requireMaasAdmin(tool, run);
    const preview = tool.preview;
    plan = preview ? await preview(args, run) : undefined;
    const policy = await decide(tool, args, plan, run, preview && ((a) => preview(a, run)));
    ({ args, plan } = policy);
    const { decision } = policy;
    if (decision.rules.length > 0) note.policyRules = decision.rules;
    const need = policyNeed(decision);
    if (mustConfirm(tool, args, plan) || need) {
      const replan = preview ? () => preview(args, run) : async () => callPlan();
      const decided = await gate(tool, args, plan ?? callPlan(), run, replan, need);
      if ('hold' in decided) {
        const answer = withDenied(await held(tool, args, decided.hold, plan, run), decision.denied);
        return checkOutput(tool, answer, ctx.deps);
      }
      plan = decided.run;
    }
    const out = checkOutput(tool, withDenied(await tool.run(args, run, plan), decision.denied), ctx.deps);
    if (decision.denied.length > 0 && note.targets) {
      note.targets = [...note.targets, ...deniedAuditTargets(decision.denied)];
    }
    await recordDone(tool, args, out, run);
    return out;
  } catch (err) {
    await recordFailure(tool, args, err, plan, run);
    throw err;
  }
}

/** What the policy asks of the gate beyond the tool's own rules: a confirmation, or approvals. */
function policyNeed(d: PolicyDecision): GateNeed | undefined {
  if (d.effect === 'approve')
    return { approve: { approvers: d.approvers, rules: d.rules, ...(d.reason ? { reason: d.reason } : {}) } };
  if (d.effect === 'confirm') return { confirm: true, rules: d.rules };
  return undefined;
}

/** Whether this call passes the confirmation gate. */
function mustConfirm(tool: AnyTool, args: Record<string, unknown>, plan: Plan | undefined): boolean {
  if (tool.annotations.destructiveHint) return true;
  if (!plan) return false;
  // A presented token is checked even when nothing asks for one now: the target may have changed since.
  if (plan.confirm || args.confirm_token !== undefined) {
    if (!tool.gated)
      throw new Error(`internal: ${tool.name} asks for confirmation but its input has no confirm_token`);
    return true;
  }
  return false;
}

function parseInput(tool: AnyTool, input: unknown): Record<string, unknown> {
  const parsed = tool.input.safeParse(input ?? {});
  if (!parsed.success) throw new InputError(zodMessage(parsed.error));
  return parsed.data as Record<string, unknown>;
}

/** The answer, as its own output schema reads it; an answer that does not fit is a bug, never sent on. */
function checkOutput(tool: AnyTool, out: unknown, deps: Deps): unknown {
  const checked = tool.output.safeParse(out);
  if (checked.success) return checked.data;
  deps.log.error('a tool answered outside its output schema', {
    tool: tool.name,
    issues: zodMessage(checked.error),
  });
  throw new Error(`${tool.name} answered outside its output schema (${zodMessage(checked.error)})`);
}

/**
 * The answer the gate gave instead of running: audited unless it only asks for confirmation (nothing happened
 * yet). A call held for approval with `wait: true` waits for the decision here.
 */
async function held(
  tool: AnyTool,
  args: Record<string, unknown>,
  hold: ActionResult,
  plan: Plan | undefined,
  ctx: RunContext,
): Promise<ActionResult> {
  if (hold.status === 'confirmation_required') return hold;
  await recordAudit(ctx, {
    tool: tool.name,
    args,
    result: hold.status === 'awaiting_approval' ? 'awaiting_approval' : 'cancelled',
    detail: partOf(hold.summary, ctx),
    targets: beforeOf(plan),
    ...(hold.operation_id ? { operation_id: hold.operation_id } : {}),
  });
  if (hold.status !== 'awaiting_approval' || args.wait !== true || !hold.operation_id) return hold;
  const seen = await waitForOperation(ctx.deps, hold.operation_id, {
    timeoutMs: waitSeconds(args, ctx) * 1000,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    onProgress: (o) => ctx.progress?.(operationProgress(o)),
  });
  // Tell what happened while waiting: still held, refused (denied or expired), or approved and run.
  if (seen.state === 'awaiting_approval') return { ...hold, operation: operationView(seen) };
  return settleActionResult(hold, seen);
}

/** Whether calls of this tool are audited: writes, and reads of secrets (who read them). */
function audited(tool: AnyTool): boolean {
  return !tool.annotations.readOnlyHint || tool.secret === true;
}

async function recordDone(tool: AnyTool, args: Record<string, unknown>, out: unknown, ctx: RunContext) {
  const note = ctx.audit;
  if (!audited(tool) || note.nothingWritten) return;
  await recordAudit(ctx, {
    tool: tool.name,
    args,
    result: note.result ?? 'ok',
    detail: partOf(note.detail ?? detailOf(tool, out), ctx),
    targets: note.targets ?? [],
    ...(note.operation_id ? { operation_id: note.operation_id } : {}),
  });
}

async function recordFailure(
  tool: AnyTool,
  args: Record<string, unknown>,
  err: unknown,
  plan: Plan | undefined,
  ctx: RunContext,
) {
  if (err instanceof InputError || ctx.audit.nothingWritten) return;
  const refused = err instanceof Refusal;
  if (!refused && !audited(tool)) return;
  const facts = err instanceof ToolError ? err.audit : undefined;
  const operationId = facts?.operation_id ?? ctx.audit.operation_id;
  await recordAudit(ctx, {
    tool: tool.name,
    // Who may not use a tool at all is recorded without what they sent.
    args: refused && err.why === 'access' ? {} : args,
    result: refused ? 'refused' : (facts?.result ?? 'failed'),
    // As the caller reads it; the adapter logs an unexpected error when it renders it.
    detail: partOf(describeError(err, ctx.deps.secrets), ctx),
    targets: facts?.targets ?? ctx.audit.targets ?? beforeOf(plan),
    ...(operationId ? { operation_id: operationId } : {}),
  });
}

/**
 * A record's detail, saying which confirmed plan the call was a step of (a workflow run), if any, and which policy
 * rules decided it.
 */
function partOf(detail: string, ctx: RunContext): string {
  const step = ctx.confirmedPlan ? `${detail} (a step of ${ctx.confirmedPlan.name})` : detail;
  const rules = ctx.audit.policyRules;
  return rules?.length ? `${step} [policy: rule ${rules.join(', rule ')}]` : step;
}

/** The plan's targets as they were before the call: what a refusal or a cancellation records. */
function beforeOf(plan: Plan | undefined) {
  return (plan?.rows ?? []).map((r) => ({ system_id: r.system_id, hostname: r.hostname, before: r.status }));
}

/** A record's detail when the tool gave none: the answer's summary, or its first line (secrets left out). */
function detailOf(tool: AnyTool, out: unknown): string {
  const shown = withoutSecrets(tool, out);
  if (typeof shown === 'string') return `${tool.phrase}: answered (the answer is secret and not recorded)`;
  const summary = (shown as { summary?: unknown } | null)?.summary;
  if (typeof summary === 'string') return summary;
  return tool.render(shown).split('\n', 1)[0] ?? tool.name;
}

/**
 * A long tool's answer once the operation it started has ended (an MCP task's result): the tool's own settle,
 * checked against its output schema.
 */
export function settledAnswer(tool: AnyTool, out: unknown, op: Operation, deps: Deps): unknown {
  if (!tool.settle) return out;
  return checkOutput(tool, tool.settle(out, op), deps);
}
