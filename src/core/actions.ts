/**
 * Machine actions: the shape every bulk life-cycle tool shares. A spec says how to judge one machine
 * (run / skip / refuse, from the MAAS state table) and how to perform the action on it; this module resolves
 * the targets, pre-checks them, passes destructive actions through the confirmation gate, performs the rest
 * with bounded concurrency, decides what an unanswered write did, audits the call and renders the result.
 */
import { z } from 'zod';
import { mapLimit } from '../base/concurrency.ts';
import type { Role, Toolset } from '../config.ts';
import type { MachineSummary } from '../maas/schemas.ts';
import type { Operation, OperationKind } from '../store/types.ts';
import { recordAudit } from './audit.ts';
import { gate } from './gate.ts';
import {
  describeOperation,
  OperationView,
  operationProgress,
  operationView,
  startOperation,
  waitForOperation,
} from './operations/service.ts';
import { type Outcome, performOne, settleUnanswered } from './perform.ts';
import { withMaasRights } from './rights.ts';
import { resolveMachines } from './targets.ts';
import type { AnyTool, ToolContext, ToolDef } from './tool.ts';

/**
 * What to do with one machine: run the action (saying what will happen), skip it, or refuse it. `confirm` marks a
 * run that interrupts what the machine is doing (a non-destructive tool rebooting a Deployed machine): the call
 * then passes the confirmation gate as a destructive one does.
 */
export type Verdict = { run: string; confirm?: true } | { skip: string } | { refuse: string };

/** Facts about the MAAS user behind the API key, for checks like "only the owner may mark it broken". */
export interface ActionEnv {
  me: string;
  isAdmin: boolean;
}

export const PreviewRow = z.object({
  hostname: z.string(),
  system_id: z.string(),
  status: z.string(),
  power: z.string(),
  owner: z.string().nullable(),
  locked: z.boolean(),
  verdict: z.enum(['run', 'skip', 'refuse']),
  effect: z.string().describe('What will happen to this machine, or why nothing will'),
});
export type PreviewRow = z.infer<typeof PreviewRow>;

const Done = z.object({
  hostname: z.string(),
  system_id: z.string(),
  before: z.string(),
  after: z.string(),
  note: z.string().optional(),
});
const Skipped = z.object({
  hostname: z.string(),
  system_id: z.string(),
  status: z.string(),
  reason: z.string(),
});
const Failed = z.object({
  hostname: z.string(),
  system_id: z.string(),
  status: z.string(),
  error: z.string(),
});

export const ActionResult = z.object({
  status: z
    .enum(['done', 'confirmation_required', 'cancelled', 'awaiting_approval'])
    .describe(
      'done: carried out; confirmation_required: call again with confirm_token; cancelled: nothing changed; awaiting_approval: a person must approve it in Slack first (follow operation_id)',
    ),
  action: z.string(),
  summary: z.string(),
  succeeded: z.array(Done),
  skipped: z.array(Skipped).describe('Machines with nothing to do (e.g. release of a machine already Ready)'),
  failed: z.array(Failed).describe('Machines refused by a pre-check or by MAAS, with the reason'),
  not_found: z.array(z.string()),
  note: z.string().optional().describe('What MAAS keeps doing in the background'),
  confirmation_required: z.boolean().optional(),
  confirm_token: z.string().optional().describe('Repeat the same call with this to carry it out'),
  expires_at: z.string().optional(),
  preview: z.array(PreviewRow).optional(),
  operation_id: z
    .string()
    .optional()
    .describe('The operation tracking what MAAS keeps doing (operation_get)'),
  operation: OperationView.optional().describe(
    'Where the operation stood when this answer was made (with wait: true)',
  ),
});
export type ActionResult = z.infer<typeof ActionResult>;
export type DoneRow = z.infer<typeof Done>;
export type FailedRow = z.infer<typeof Failed>;

/** What the gate shows and pins: the resolved targets with a verdict each. */
export interface Plan {
  machines: MachineSummary[];
  rows: PreviewRow[];
  missing: string[];
  /** Some machine it would run on asked for confirmation ({@link Verdict} `confirm`). */
  confirm: boolean;
}

export interface ActionSpec<I extends z.ZodObject> {
  name: string;
  title: string;
  description: string;
  toolset: Toolset;
  minRole: Role;
  destructive: boolean;
  idempotent: boolean;
  slack?: { verb: string };
  /** Must contain `machines`; destructive actions also get `confirm_token` (see {@link confirmTokenField}). */
  input: I;
  /** The verb as a person says it: "deploy", "release", "power off". */
  verb: string;
  /** Lock and unlock act on locked machines; everything else is refused on them, as MAAS does. */
  ignoresLock?: boolean;
  /** Only MAAS admins may do this (see {@link ToolDef.maasAdmin}). */
  maasAdmin?: boolean;
  check(m: MachineSummary, args: z.infer<I>, env: ActionEnv): Verdict;
  /** Performs the action on one machine; returns the machine as MAAS answered, or null when MAAS gave none. */
  perform(m: MachineSummary, args: z.infer<I>, ctx: ToolContext): Promise<MachineSummary | null>;
  /**
   * After MAAS did not answer a write: did it take effect anyway? Judged on a fresh read (`now` is undefined
   * when MAAS no longer has the machine).
   */
  tookEffect?(before: MachineSummary, now: MachineSummary | undefined): boolean;
  /** A note for the result: what MAAS keeps doing in the background. */
  continues?(args: z.infer<I>, done: readonly DoneRow[]): string | undefined;
  /** The kind of operation to track afterwards, when MAAS finishes the action in the background. */
  operation?(args: z.infer<I>): OperationKind;
}

/** `wait` and `wait_timeout_s`, for actions whose operation can be waited on. */
export const waitFields = {
  wait: z
    .boolean()
    .default(false)
    .describe(
      'Wait until MAAS finishes (with progress notifications) instead of answering as soon as MAAS accepted',
    ),
  wait_timeout_s: z
    .number()
    .int()
    .min(1)
    .max(900)
    .default(45)
    .describe(
      'With wait: stop waiting after this many seconds (default 45) and answer with the operation id. Over MCP one call waits at most 50 s, before clients time out',
    ),
};

/** How long this call waits, in seconds: wait_timeout_s (default 45), capped at what its caller can wait. */
export function waitSeconds(args: { wait_timeout_s?: unknown }, ctx: Pick<ToolContext, 'maxWaitS'>): number {
  const asked = typeof args.wait_timeout_s === 'number' ? args.wait_timeout_s : 45;
  return ctx.maxWaitS === undefined ? asked : Math.min(asked, ctx.maxWaitS);
}

/** What to say when a wait ends before the operation does: how to keep following it. */
export function stillGoing(id: string, waitedS: number, askedS: number): string {
  const capped =
    waitedS < askedS
      ? ` (one call waits at most ${waitedS} s, so that the client's request does not time out)`
      : '';
  return `Still going after ${waitedS} s${capped}. Keep following it with operation_get (id "${id}", wait: true), or run the call as an MCP task; a notice follows when it ends.`;
}

export const confirmTokenField = z
  .string()
  .optional()
  .describe(
    'The token from a confirmation_required answer; repeat the call with the same arguments plus this',
  );

/** "cannot deploy web-01: it is Deployed — release it first" */
export function refuse(verb: string, m: MachineSummary, hint?: string): Verdict {
  return { refuse: `cannot ${verb} ${m.hostname}: it is ${m.status_name}${hint ? ` — ${hint}` : ''}` };
}

/** Turns an action spec into a registry tool. */
export function defineMachineAction<I extends z.ZodObject>(
  spec: ActionSpec<I>,
): ToolDef<I, typeof ActionResult> {
  const tool: ToolDef<I, typeof ActionResult> = {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    toolset: spec.toolset,
    minRole: spec.minRole,
    annotations: {
      readOnlyHint: false,
      destructiveHint: spec.destructive,
      idempotentHint: spec.idempotent,
      openWorldHint: true,
    },
    input: spec.input,
    output: ActionResult,
    ...(spec.slack ? { slack: { verb: spec.slack.verb, positional: 'machines' as never } } : {}),
    async run(args, ctx) {
      let plan = await planAction(spec, args, ctx);
      // A destructive tool always passes the gate; another one when a target asks for it, or when a token is
      // presented (it is checked even if that target no longer asks: it may have changed since the preview).
      const token = (args as { confirm_token?: unknown }).confirm_token !== undefined;
      if (spec.destructive || plan.confirm || token) {
        const replan = () => planAction(spec, args, ctx);
        const decision = await gate(tool as AnyTool, args as Record<string, unknown>, plan, ctx, replan);
        if ('hold' in decision) return decision.hold;
        plan = decision.run;
      }
      return executeAction(spec, args, plan, ctx);
    },
    render: renderActionResult,
    verb: spec.verb,
    ...(spec.operation ? { long: true, operationKind: spec.operation, settle: settleAction } : {}),
    failed: (out) =>
      out.status === 'done' && out.succeeded.length === 0 && out.failed.length + out.not_found.length > 0,
    ...(spec.maasAdmin ? { maasAdmin: true } : {}),
  };
  return withMaasRights(tool);
}

/**
 * An action's answer once the operation it started has ended: the answer it gave at the start, with the operation
 * as it ended. A call that was held for a person's approval says whether it was approved and run.
 */
export function settleAction(out: ActionResult, op: Operation): ActionResult {
  const operation = operationView(op);
  if (out.status !== 'awaiting_approval') return { ...out, note: describeOperation(op), operation };
  const { preview: _preview, ...rest } = out;
  const what = describeOperation(op);
  return op.state === 'cancelled'
    ? { ...rest, status: 'cancelled', summary: `Not run: ${op.summary}`, note: what, operation }
    : { ...rest, status: 'done', summary: `Approved and run: ${what}`, note: what, operation };
}

/** Resolves the targets and judges each one. Reads only. */
async function planAction<I extends z.ZodObject>(
  spec: ActionSpec<I>,
  args: z.infer<I>,
  ctx: ToolContext,
): Promise<Plan> {
  const { deps, signal } = ctx;
  const [resolution, me] = await Promise.all([
    resolveMachines(deps.maas, (args as { machines: string | string[] }).machines, signal),
    deps.maas.me({ signal }),
  ]);
  const env: ActionEnv = { me: me.username, isAdmin: me.is_superuser };
  let confirm = false;
  const rows = resolution.machines.map((m) => {
    const verdict: Verdict =
      m.locked && !spec.ignoresLock
        ? { refuse: `${m.hostname} is locked — unlock it first` }
        : spec.check(m, args, env);
    const [kind, effect] =
      'run' in verdict
        ? (['run', verdict.run] as const)
        : 'skip' in verdict
          ? (['skip', verdict.skip] as const)
          : (['refuse', verdict.refuse] as const);
    if ('run' in verdict && verdict.confirm) {
      // Without the field, the SDK would strip the token from the repeated call, which would ask again forever.
      if (!('confirm_token' in spec.input.shape)) {
        throw new Error(`internal: ${spec.name} asks for confirmation but its input has no confirm_token`);
      }
      confirm = true;
    }
    return {
      hostname: m.hostname,
      system_id: m.system_id,
      status: m.status_name,
      power: m.power_state,
      owner: m.owner,
      locked: m.locked,
      verdict: kind,
      effect,
    };
  });
  return { machines: resolution.machines, rows, missing: resolution.missing, confirm };
}

/** Performs the action on every machine the plan says to run, then audits and summarises. */
export async function executeAction<I extends z.ZodObject>(
  spec: ActionSpec<I>,
  args: z.infer<I>,
  plan: Plan,
  ctx: ToolContext,
): Promise<ActionResult> {
  const succeeded: DoneRow[] = [];
  const skipped: z.infer<typeof Skipped>[] = [];
  const failed: FailedRow[] = [];
  const toRun: MachineSummary[] = [];
  plan.rows.forEach((row, i) => {
    const m = plan.machines[i] as MachineSummary;
    if (row.verdict === 'run') toRun.push(m);
    else if (row.verdict === 'skip')
      skipped.push({
        hostname: m.hostname,
        system_id: m.system_id,
        status: m.status_name,
        reason: row.effect,
      });
    else
      failed.push({ hostname: m.hostname, system_id: m.system_id, status: m.status_name, error: row.effect });
  });
  const performed = await mapLimit(toRun, 8, (m) => performOne(spec, m, args, ctx));
  // Writes MAAS did not answer are judged together, on one batched re-read once every write is done.
  const unanswered = performed.filter((o) => 'unanswered' in o);
  const settled = unanswered.length > 0 ? await settleUnanswered(spec, unanswered, ctx) : [];
  const outcomes = performed.map((o) => ('unanswered' in o ? (settled.shift() as Outcome) : o));
  for (const o of outcomes) {
    if (o.ok) succeeded.push(o.row);
    else failed.push(o.row);
  }

  let note = succeeded.length > 0 ? spec.continues?.(args, succeeded) : undefined;
  const kind = spec.operation?.(args);
  const accepted = outcomes.flatMap((o) => (o.ok && o.after ? [o.after] : []));
  let operationId: string | undefined;
  let view: OperationView | undefined;
  if (kind && accepted.length > 0) {
    let op = await startOperation(ctx.deps, {
      kind,
      tool: spec.name,
      summary: `${spec.verb} ${accepted.map((m) => m.hostname).join(', ')}`.slice(0, 200),
      machines: accepted,
      before: new Map(succeeded.map((r) => [r.system_id, r.before])),
      requester: { principal: ctx.principal.id, via: ctx.principal.via, role: ctx.principal.role },
      notify: ctx.notifyTargets ?? [],
      ...(ctx.operationId ? { id: ctx.operationId } : {}),
      ...(ctx.announceCompletion ? { announce: true } : {}),
    });
    operationId = op.id;
    const wait = (args as { wait?: boolean }).wait === true;
    if (wait && op.state === 'running') {
      const timeoutS = waitSeconds(args as { wait_timeout_s?: number }, ctx);
      op = await waitForOperation(ctx.deps, op.id, {
        timeoutMs: timeoutS * 1000,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onProgress: (o) => ctx.progress?.(operationProgress(o)),
      });
      note =
        op.state === 'running'
          ? stillGoing(op.id, timeoutS, (args as { wait_timeout_s?: number }).wait_timeout_s ?? 45)
          : describeOperation(op);
    }
    if (wait || op.state !== 'running') view = operationView(op);
  }
  const result: ActionResult = {
    status: 'done',
    action: spec.verb,
    summary: summarise(spec.verb, succeeded.length, skipped.length, failed.length, plan.missing.length),
    succeeded,
    skipped,
    failed,
    not_found: plan.missing,
    ...(note ? { note } : {}),
    ...(operationId ? { operation_id: operationId } : {}),
    ...(view ? { operation: view } : {}),
  };
  await recordAudit(ctx, {
    tool: spec.name,
    args: args as Record<string, unknown>,
    result:
      failed.length === 0 && plan.missing.length === 0 ? 'ok' : succeeded.length > 0 ? 'partial' : 'failed',
    detail: result.summary,
    ...(operationId ? { operation_id: operationId } : {}),
    targets: [
      ...succeeded.map((r) => ({
        system_id: r.system_id,
        hostname: r.hostname,
        before: r.before,
        after: r.after,
        outcome: 'done',
      })),
      ...skipped.map((r) => ({
        system_id: r.system_id,
        hostname: r.hostname,
        before: r.status,
        outcome: `skipped: ${r.reason}`,
      })),
      ...failed.map((r) => ({
        system_id: r.system_id,
        hostname: r.hostname,
        before: r.status,
        outcome: `failed: ${r.error}`,
      })),
    ],
  });
  return result;
}

function summarise(verb: string, ok: number, skipped: number, failed: number, missing: number): string {
  const parts = [`${verb}: ${ok} done`];
  if (skipped) parts.push(`${skipped} skipped`);
  if (failed) parts.push(`${failed} failed`);
  if (missing) parts.push(`${missing} not found`);
  return parts.join(', ');
}

export function renderActionResult(out: ActionResult): string {
  if (out.status !== 'done') {
    const lines = [out.summary];
    for (const r of out.preview ?? [])
      lines.push(`  ${r.hostname} (${r.system_id}) ${r.status}: ${r.effect}`);
    if (out.not_found.length) lines.push(`  not found: ${out.not_found.join(', ')}`);
    if (out.confirm_token) {
      lines.push(
        `To go ahead, call again with the same arguments and confirm_token "${out.confirm_token}" (expires ${out.expires_at}).`,
      );
    }
    if (out.status === 'awaiting_approval' && out.operation_id) {
      lines.push(
        `Follow it with operation_get ${out.operation_id} (or wait: true); it runs only once a person approves it.`,
      );
    }
    if (out.note) lines.push(out.note);
    return lines.join('\n');
  }
  const lines = [out.summary];
  for (const r of out.succeeded) {
    lines.push(`  ${r.hostname} (${r.system_id}): ${r.before} → ${r.after}${r.note ? ` (${r.note})` : ''}`);
  }
  for (const r of out.skipped) lines.push(`  skipped ${r.hostname}: ${r.reason}`);
  for (const r of out.failed) lines.push(`  failed ${r.hostname}: ${r.error}`);
  for (const w of out.not_found) lines.push(`  not found: "${w}"`);
  if (out.note) lines.push(out.note);
  if (out.operation_id) lines.push(`Operation ${out.operation_id} tracks it (operation_get).`);
  return lines.join('\n');
}
