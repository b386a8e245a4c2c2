/**
 * Configuration actions — a storage layout, a network, a clone — on up to 100 machines. Like a machine action, each
 * target is judged on its own (run / unchanged / refused) and previewed before anything is written, but the judgement
 * reads the machine's disks and interfaces and draws the whole plan; the run carries each machine's plan out with
 * bounded concurrency and answers, per machine, what was applied, where it stopped and what it was left as. The
 * gate, the audit and the role and MAAS-rights checks come from the one path (core/invoke.ts).
 */
import * as z from 'zod/v4';
import { mapLimit } from '../base/concurrency.ts';
import { getMachineConfigs, type MachineConfig } from '../maas/machine-config.ts';
import type { Interface } from '../maas/schemas.ts';
import type { RunContext, ToolContext } from './deps.ts';
import { InputError } from './errors.ts';
import { NetworkTree } from './network-tree.ts';
import { type MachinePlan, machineSnapshot, type PreviewRow, previewRow } from './plan.ts';
import { ActionResult, type DoneRow, type FailedRow, type SkippedRow } from './result.ts';
import { StorageTree } from './storage-tree.ts';
import { resolveMachines } from './targets.ts';
import { type Args, defineTool, phraseOf, type ToolDef } from './tool.ts';

export type FullMachine = MachineConfig & { interface_set: Interface[] };

/** One machine's outcome, beyond the action rows: what was applied, and where and why it stopped. */
export const ConfigDetail = z.object({
  hostname: z.string(),
  system_id: z.string(),
  outcome: z.enum(['done', 'unchanged', 'refused', 'failed']),
  effect: z.string().describe('What was asked of it, as previewed'),
  applied: z.array(z.string()).describe('MAAS calls carried out, in order'),
  failed_step: z.string().optional(),
  error: z.string().optional(),
  recovery: z.string().optional().describe('What it was left as after a failure, and what to do'),
  warnings: z.array(z.string()),
  layout: StorageTree.optional(),
  network: NetworkTree.optional(),
  disk_map: z.array(z.object({ source: z.string(), destination: z.string() })).optional(),
});
export type ConfigDetail = z.infer<typeof ConfigDetail>;
type Extra = Partial<Pick<ConfigDetail, 'layout' | 'network' | 'disk_map'>>;

/** The answer: an action result (per-machine rows, as every bulk tool answers) with each machine's detail. */
export const ConfigResult = ActionResult.extend({
  details: z
    .array(ConfigDetail)
    .optional()
    .describe('Per machine: what was applied, where it stopped, the plan'),
});
export type ConfigResult = z.infer<typeof ConfigResult>;

/** How one machine is judged: run its plan, leave it (already so), or refuse it with what to do. */
export type Judged<P> =
  | { verdict: 'run'; effect: string; plan: P; warnings?: string[]; extra?: Extra }
  | { verdict: 'skip' | 'refuse'; effect: string; warnings?: string[]; extra?: Extra };

/** What carrying out one machine's plan did. */
export interface Applied {
  applied: string[];
  failed?: { step: string; error: string };
  recovery?: string;
  extra?: Extra;
}

export interface ConfigSpec<I extends z.ZodObject, P, S> {
  name: string;
  title: string;
  description: string;
  verb: string;
  idempotent: boolean;
  /** Must contain `machines`. */
  input: I;
  /** Bad requests whatever the machines: refused as bad input before anything is read. */
  requestProblems?(args: Args<I>, machines: number): string[];
  /** Reads once per call what judging needs beyond each machine (subnets and fabrics; a clone's source). */
  shared(args: Args<I>, ctx: ToolContext, machines: readonly FullMachine[]): Promise<S>;
  judge(m: FullMachine, args: Args<I>, shared: S): Judged<P>;
  apply(m: FullMachine, plan: P, args: Args<I>, ctx: ToolContext, shared: S): Promise<Applied>;
}

interface ConfigPlan<P, S> extends MachinePlan {
  full: (FullMachine | undefined)[];
  judged: Judged<P>[];
  shared: S;
}

/** Machines configured at once (each is a handful of MAAS calls in order). */
const CONCURRENCY = 8;

export function defineConfigAction<I extends z.ZodObject, P, S>(
  spec: ConfigSpec<I, P, S>,
): ToolDef<I, typeof ConfigResult, ConfigPlan<P, S>> {
  const phrase = phraseOf(spec.verb);
  return defineTool<I, typeof ConfigResult, ConfigPlan<P, S>>({
    name: spec.name,
    title: spec.title,
    description: spec.description,
    toolset: 'config',
    minRole: 'operator',
    annotations: {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: spec.idempotent,
      openWorldHint: true,
    },
    input: spec.input,
    output: ConfigResult,
    verb: spec.verb,
    maasAdmin: true,
    slack: { positional: 'machines' as never, view: 'action' },
    async preview(args, ctx) {
      const refs = (args as unknown as { machines: string | string[] }).machines;
      const { machines, missing } = await resolveMachines(ctx.deps.maas, refs, ctx.signal);
      const problems = spec.requestProblems?.(args, machines.length) ?? [];
      if (problems.length) throw new InputError(problems.join('; '));
      const read = await getMachineConfigs(
        ctx.deps.maas.http,
        machines.map((m) => m.system_id),
        { signal: ctx.signal },
      );
      const byId = new Map(read.map((m) => [m.system_id, m]));
      const full = machines.map((m) => byId.get(m.system_id));
      const shared = await spec.shared(
        args,
        ctx,
        full.filter((m) => m !== undefined),
      );
      const judged = machines.map((m, i): Judged<P> => {
        const f = full[i];
        if (f) return spec.judge(f, args, shared);
        return { verdict: 'refuse', effect: `${m.hostname} could not be read from MAAS just now; try again` };
      });
      const rows = machines.map((m, i) => {
        const j = judged[i] as Judged<P>;
        const warn = j.warnings?.length ? ` (note: ${j.warnings.join('; ')})` : '';
        return previewRow(m, j.verdict, `${j.effect}${j.verdict === 'run' ? warn : ''}`);
      });
      return {
        machines,
        rows,
        missing,
        confirm: false,
        snapshot: machines.map((m, i) => machineSnapshot(m, rows[i] as PreviewRow)),
        full,
        judged,
        shared,
      };
    },
    async run(args, ctx, plan) {
      if (!plan) throw new Error(`internal: ${spec.name} runs only with its preview`);
      return execute(spec, phrase, args, ctx, plan);
    },
    render: (out) => renderConfigResult(out),
    failed: (out) =>
      out.status === 'done' && out.succeeded.length === 0 && out.failed.length + out.not_found.length > 0,
  });
}

async function execute<I extends z.ZodObject, P, S>(
  spec: ConfigSpec<I, P, S>,
  phrase: string,
  args: Args<I>,
  ctx: RunContext,
  plan: ConfigPlan<P, S>,
): Promise<ConfigResult> {
  const succeeded: DoneRow[] = [];
  const skipped: SkippedRow[] = [];
  const failed: FailedRow[] = [];
  const details: ConfigDetail[] = [];
  const scrub = (s: string) => ctx.deps.secrets.scrub(s);
  let done = 0;
  const toRun = plan.machines.flatMap((_, i) => (plan.judged[i]?.verdict === 'run' ? [i] : []));
  const results = await mapLimit(toRun, CONCURRENCY, async (i) => {
    const j = plan.judged[i] as Extract<Judged<P>, { verdict: 'run' }>;
    const applied = await spec.apply(plan.full[i] as FullMachine, j.plan, args, ctx, plan.shared);
    ctx.progress?.({ progress: ++done, total: toRun.length, message: `${plan.machines[i]?.hostname}` });
    return applied;
  });
  plan.machines.forEach((m, i) => {
    const j = plan.judged[i] as Judged<P>;
    const base = { hostname: m.hostname, system_id: m.system_id };
    const detail: ConfigDetail = {
      ...base,
      outcome: 'refused',
      effect: j.effect,
      warnings: j.warnings ?? [],
      applied: [],
      ...(j.extra ?? {}),
    };
    if (j.verdict === 'skip') {
      skipped.push({ ...base, status: m.status_name, reason: j.effect });
      details.push({ ...detail, outcome: 'unchanged' });
      return;
    }
    if (j.verdict === 'refuse') {
      failed.push({ ...base, status: m.status_name, error: j.effect });
      details.push({ ...detail, outcome: 'refused', error: j.effect });
      return;
    }
    const r = results[toRun.indexOf(i)] as Applied;
    const d: ConfigDetail = { ...detail, ...(r.extra ?? {}), applied: r.applied };
    if (!r.failed) {
      succeeded.push({
        ...base,
        before: m.status_name,
        after: m.status_name,
        note: `${r.applied.length} MAAS calls`,
      });
      details.push({ ...d, outcome: 'done' });
      return;
    }
    const error = scrub(r.failed.error);
    const when = r.applied.length
      ? `after ${r.applied.length} of its calls went through`
      : 'before any change';
    failed.push({
      ...base,
      status: m.status_name,
      error: `cannot ${phrase} ${m.hostname}: "${r.failed.step}" failed ${when}: ${error}${r.recovery ? ` — ${r.recovery}` : ''}`,
    });
    details.push({
      ...d,
      outcome: 'failed',
      failed_step: r.failed.step,
      error,
      ...(r.recovery ? { recovery: scrub(r.recovery) } : {}),
    });
  });
  const parts = [`${phrase}: ${succeeded.length} done`];
  if (skipped.length) parts.push(`${skipped.length} already as asked`);
  if (failed.length) parts.push(`${failed.length} failed or refused`);
  if (plan.missing.length) parts.push(`${plan.missing.length} not found`);
  const summary = parts.join(', ');
  ctx.audit.result =
    failed.length === 0 && plan.missing.length === 0 ? 'ok' : succeeded.length > 0 ? 'partial' : 'failed';
  ctx.audit.detail = summary;
  ctx.audit.targets = details.map((d) => ({
    system_id: d.system_id,
    hostname: d.hostname,
    before: plan.machines.find((m) => m.system_id === d.system_id)?.status_name ?? '',
    outcome:
      d.outcome === 'done'
        ? `done: ${d.applied.length} MAAS calls`
        : d.outcome === 'failed'
          ? `failed at "${d.failed_step}" after ${d.applied.length} calls: ${d.error}`
          : `${d.outcome}: ${d.error ?? d.effect}`,
  }));
  return {
    status: 'done' as const,
    action: phrase,
    summary,
    succeeded,
    skipped,
    failed,
    not_found: plan.missing,
    details,
  };
}

export function renderConfigResult(out: ConfigResult): string {
  if (out.status !== 'done' || !out.details) {
    const lines = [out.summary];
    for (const r of out.preview ?? [])
      lines.push(`  ${r.hostname} (${r.system_id}) ${r.status}: ${r.effect}`);
    if (out.not_found.length) lines.push(`  not found: ${out.not_found.join(', ')}`);
    if (out.confirm_token)
      lines.push(
        `To go ahead, call again with the same arguments and confirm_token "${out.confirm_token}" (expires ${out.expires_at}).`,
      );
    if (out.note) lines.push(out.note);
    return lines.join('\n');
  }
  const lines = [out.summary];
  for (const d of out.details) {
    if (d.outcome === 'done')
      lines.push(`  ${d.hostname}: done (${d.applied.length} MAAS calls) — ${d.effect}`);
    else if (d.outcome === 'unchanged') lines.push(`  ${d.hostname}: nothing to change — ${d.effect}`);
    else if (d.outcome === 'refused') lines.push(`  ${d.hostname}: refused — ${d.error}`);
    else {
      lines.push(`  ${d.hostname}: FAILED at "${d.failed_step}": ${d.error}`);
      if (d.applied.length) lines.push(`    applied before it: ${d.applied.join('; ')}`);
      if (d.recovery) lines.push(`    ${d.recovery}`);
    }
  }
  for (const w of out.not_found) lines.push(`  not found: "${w}"`);
  return lines.join('\n');
}
