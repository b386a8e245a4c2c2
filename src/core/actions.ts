/**
 * Machine actions: the shape every bulk life-cycle tool shares. A spec says how to judge one machine (run / skip /
 * refuse, from the MAAS state table) and how to perform the action on it; this module turns it into a registry
 * tool whose preview resolves the targets and judges each one, and whose run performs the action on the machines
 * the plan says to run, with bounded concurrency, decides what an unanswered write did, and says what the audit
 * record holds. The gate, the audit and the role and rights checks come from the one path (core/invoke.ts), as for
 * every tool.
 */
import type * as z from 'zod/v4';
import type { Role, Toolset } from '../config.ts';
import type { MachineSummary } from '../maas/schemas.ts';
import type { OperationKind } from '../store/types.ts';
import type { RunContext, ToolContext } from './deps.ts';
import { operationProgress, startOperation, waitForOperation } from './operations/service.ts';
import { describeOperation, type OperationView, operationView } from './operations/view.ts';
import { type Performer, performAll } from './perform.ts';
import { type MachinePlan, machineSnapshot, type PreviewRow, previewRow } from './plan.ts';
import {
  ActionResult,
  type DoneRow,
  type FailedRow,
  renderActionResult,
  type SkippedRow,
  settleActionResult,
} from './result.ts';
import { resolveMachines } from './targets.ts';
import { type Args, defineTool, phraseOf, type ToolDef } from './tool.ts';
import { stillGoing, waitSeconds } from './wait.ts';

/**
 * What to do with one machine: run the action (saying what will happen), skip it, or refuse it. `confirm` marks a
 * run that interrupts what the machine is doing (a non-destructive tool rebooting a Deployed machine): the call
 * then passes the confirmation gate as a destructive one does.
 */
export type Verdict = { run: string; confirm?: true } | { skip: string } | { refuse: string };

/**
 * Facts every check may use: the MAAS user behind the API key (for checks like "only the owner may mark it
 * broken"), and what the action's `load` read once for the whole call.
 */
export interface ActionEnv<L = undefined> {
  me: string;
  isAdmin: boolean;
  loaded: L;
}

/** A machine action's plan: its machines, and what `load` read for the call. */
export interface ActionPlan<L = undefined> extends MachinePlan {
  loaded: L;
}

export interface ActionSpec<I extends z.ZodObject, L = undefined> {
  name: string;
  title: string;
  description: string;
  toolset: Toolset;
  minRole: Role;
  destructive: boolean;
  idempotent: boolean;
  /** The one verb: the Slack command, and (hyphens read as spaces) the action in messages: "power-off". */
  verb: string;
  /** Must contain `machines`; never `confirm_token` (the registry adds it to gated tools). */
  input: I;
  /** A non-destructive action whose `check` may ask for confirmation: when it asks (see ToolSpec.confirms). */
  confirms?: string;
  /** Lock and unlock act on locked machines; everything else is refused on them, as MAAS does. */
  ignoresLock?: boolean;
  /** Only MAAS admins may do this (see ToolSpec.maasAdmin). */
  maasAdmin?: boolean;
  /**
   * Reads, once per call and before any machine is judged, what the checks and writes need beyond each machine
   * (a clone's source machine, a layout's template): `env.loaded` in `check`, the last argument of `perform`.
   * It is read again with the plan after a confirmation.
   */
  load?(args: Args<I>, ctx: ToolContext): Promise<L>;
  check(m: MachineSummary, args: Args<I>, env: ActionEnv<L>): Verdict;
  /** Performs the action on one machine; returns the machine as MAAS answered, or null when MAAS gave none. */
  perform(m: MachineSummary, args: Args<I>, ctx: ToolContext, loaded: L): Promise<MachineSummary | null>;
  /**
   * After MAAS did not answer a write: did it take effect anyway? Judged on a fresh read (`now` is undefined
   * when MAAS no longer has the machine).
   */
  tookEffect?(before: MachineSummary, now: MachineSummary | undefined): boolean;
  /** A note for the result: what MAAS keeps doing in the background. */
  continues?(args: Args<I>, done: readonly DoneRow[]): string | undefined;
  /** The kind of operation to track afterwards, when MAAS finishes the action in the background. */
  operation?(args: Args<I>): OperationKind;
}

/** "cannot deploy web-01: it is Deployed — release it first" */
export function refuse(phrase: string, m: MachineSummary, hint?: string): Verdict {
  return { refuse: `cannot ${phrase} ${m.hostname}: it is ${m.status_name}${hint ? ` — ${hint}` : ''}` };
}

/** Turns an action spec into a registry tool. */
export function defineMachineAction<I extends z.ZodObject, L = undefined>(
  spec: ActionSpec<I, L>,
): ToolDef<I, typeof ActionResult, ActionPlan<L>> {
  return defineTool<I, typeof ActionResult, ActionPlan<L>>({
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
    verb: spec.verb,
    slack: { positional: 'machines' as never, view: 'action' },
    preview: (args, ctx) => planAction(spec, args, ctx),
    run: (args, ctx, plan) => executeAction(spec, args, plan as ActionPlan<L>, ctx),
    render: renderActionResult,
    ...(spec.confirms !== undefined ? { confirms: spec.confirms } : {}),
    ...(spec.operation ? { long: true, operationKind: spec.operation, settle: settleActionResult } : {}),
    failed: (out) =>
      out.status === 'done' && out.succeeded.length === 0 && out.failed.length + out.not_found.length > 0,
    ...(spec.maasAdmin ? { maasAdmin: true } : {}),
  });
}

/** Resolves the targets and judges each one. Reads only. */
async function planAction<I extends z.ZodObject, L>(
  spec: ActionSpec<I, L>,
  args: Args<I>,
  ctx: ToolContext,
): Promise<ActionPlan<L>> {
  const { deps, signal } = ctx;
  const [resolution, me, loaded] = await Promise.all([
    resolveMachines(deps.maas, (args as unknown as { machines: string | string[] }).machines, signal),
    deps.maas.me({ signal }),
    spec.load ? spec.load(args, ctx) : (undefined as L),
  ]);
  const env: ActionEnv<L> = { me: me.username, isAdmin: me.is_superuser, loaded };
  let confirm = false;
  const rows: PreviewRow[] = resolution.machines.map((m) => {
    const verdict: Verdict =
      m.locked && !spec.ignoresLock
        ? { refuse: `${m.hostname} is locked — unlock it first` }
        : spec.check(m, args, env);
    if ('run' in verdict && verdict.confirm) {
      // Without the field, the SDK would strip the token from the repeated call, which would ask again forever.
      if (!spec.destructive && spec.confirms === undefined) {
        throw new Error(`internal: ${spec.name} asks for confirmation but its input has no confirm_token`);
      }
      confirm = true;
    }
    if ('run' in verdict) return previewRow(m, 'run', verdict.run);
    if ('skip' in verdict) return previewRow(m, 'skip', verdict.skip);
    return previewRow(m, 'refuse', verdict.refuse);
  });
  return {
    machines: resolution.machines,
    rows,
    missing: resolution.missing,
    confirm,
    snapshot: resolution.machines.map((m, i) => machineSnapshot(m, rows[i] as PreviewRow)),
    loaded,
  };
}

/** Performs the action on every machine the plan says to run, then summarises, noting what the audit holds. */
async function executeAction<I extends z.ZodObject, L>(
  spec: ActionSpec<I, L>,
  args: Args<I>,
  plan: ActionPlan<L>,
  ctx: RunContext,
): Promise<ActionResult> {
  const performer: Performer<I> = {
    phrase: phraseOf(spec.verb),
    perform: (m, a, c) => spec.perform(m, a, c, plan.loaded),
    ...(spec.tookEffect ? { tookEffect: spec.tookEffect } : {}),
  };
  const phrase = performer.phrase;
  const succeeded: DoneRow[] = [];
  const skipped: SkippedRow[] = [];
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
  const outcomes = await performAll(performer, toRun, args, ctx);
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
      summary: `${phrase} ${accepted.map((m) => m.hostname).join(', ')}`.slice(0, 200),
      machines: accepted,
      before: new Map(succeeded.map((r) => [r.system_id, r.before])),
      requester: { principal: ctx.principal.id, via: ctx.principal.via, role: ctx.principal.role },
      notify: ctx.notifyTargets ?? [],
      ...(ctx.operationId ? { id: ctx.operationId } : {}),
      ...(ctx.announceCompletion ? { announce: true } : {}),
      ...(ctx.operationTimeoutMs !== undefined ? { timeoutMs: ctx.operationTimeoutMs } : {}),
      ...(ctx.partOf ? { partOf: ctx.partOf } : {}),
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
    action: phrase,
    summary: summarise(phrase, succeeded.length, skipped.length, failed.length, plan.missing.length),
    succeeded,
    skipped,
    failed,
    not_found: plan.missing,
    ...(note ? { note } : {}),
    ...(operationId ? { operation_id: operationId } : {}),
    ...(view ? { operation: view } : {}),
  };
  ctx.audit.result =
    failed.length === 0 && plan.missing.length === 0 ? 'ok' : succeeded.length > 0 ? 'partial' : 'failed';
  ctx.audit.detail = result.summary;
  if (operationId) ctx.audit.operation_id = operationId;
  ctx.audit.targets = [
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
  ];
  return result;
}

function summarise(phrase: string, ok: number, skipped: number, failed: number, missing: number): string {
  const parts = [`${phrase}: ${ok} done`];
  if (skipped) parts.push(`${skipped} skipped`);
  if (failed) parts.push(`${failed} failed`);
  if (missing) parts.push(`${missing} not found`);
  return parts.join(', ');
}
