/**
 * Workflows (README "Workflows"): the automation SDK's JSON files, run host by host in parallel, resumable. A run
 * is an operation of kind `workflow` with a step record per host; workflow_run is confirmed once for the whole plan
 * (the preview lists every destructive step of every host), and its steps then run as tools with that confirmation.
 */
import * as z from 'zod/v4';
import { isRequester, roleAtLeast } from '../core/access.ts';
import type { Deps, ToolContext } from '../core/deps.ts';
import { InputError, ToolError } from '../core/errors.ts';
import { cancelById, waitForOperation } from '../core/operations/service.ts';
import type { Plan } from '../core/plan.ts';
import { isHeld, renderActionResult } from '../core/result.ts';
import { defineTool } from '../core/tool.ts';
import { stillGoing, waitFields, waitSeconds } from '../core/wait.ts';
import type { WorkflowPreview, WorkflowRuns } from '../core/workflows/api.ts';
import { ACTIONS, parseWorkflow, type WorkflowFile } from '../core/workflows/format.ts';
import { isRunning } from '../core/workflows/record.ts';
import { describeWorkflow, renderWorkflow, type WorkflowView, workflowView } from '../core/workflows/view.ts';
import { WorkflowView as WorkflowViewSchema } from '../core/workflows/view-schema.ts';
import { FINAL_STATES, OPERATION_STATES, type Operation } from '../store/types.ts';
import { asList, limit, offset, oneOrMany } from './common.ts';

const DEFAULT_PARALLEL = 50;
const DEFAULT_RETRIES = 5;

/** The runs of this process, or why there are none here. */
function runsOf(deps: Deps): WorkflowRuns {
  if (!deps.workflows) {
    throw new ToolError(
      'workflows run in a maas-mcp that keeps running (maas-mcp serve or stdio, or `maas-mcp run FILE` on the command line); this deployment cannot run them',
    );
  }
  return deps.workflows;
}

function running(deps: Deps, op: Operation): boolean {
  return deps.workflows ? deps.workflows.running(op) : isRunning(op, deps.clock.now(), () => undefined);
}

/** The workflow argument, read as a file is: the same checks, paths from `workflow.`; credentials refused. */
function fileOf(value: unknown): WorkflowFile {
  const file = parseWorkflow(value, 'workflow.');
  for (const key of ['maas_api_url', 'maas_api_key'] as const) {
    if (file[key] !== undefined) {
      throw new InputError(
        `workflow.${key}: remove it — maas-mcp talks to its own MAAS (MAAS_URL, MAAS_API_KEY); a workflow never carries credentials`,
      );
    }
  }
  return file;
}

const PlannedStep = z.object({
  action: z.string(),
  effect: z.string(),
  destructive: z.boolean(),
});
const PlannedHost = z.object({
  hostname: z.string(),
  system_id: z.string(),
  status: z.string(),
  steps: z.array(PlannedStep),
});

interface WorkflowPlanned extends Plan {
  workflow: WorkflowPreview;
}

const HOW = ['started', 'resumed', 'continued', 'running', 'done'] as const;

function planned(p: WorkflowPreview) {
  return p.hosts.map((h) => ({
    hostname: h.hostname,
    system_id: h.system_id,
    status: h.status,
    steps: h.steps,
  }));
}

function renderPlan(hosts: z.infer<typeof PlannedHost>[]): string[] {
  const lines: string[] = [];
  for (const h of hosts) {
    lines.push(`  ${h.hostname}${h.system_id ? ` (${h.system_id})` : ''}, ${h.status}:`);
    for (const s of h.steps) lines.push(`    ${s.destructive ? '⚠' : '•'} ${s.action}: ${s.effect}`);
  }
  return lines;
}

export const workflowRun = defineTool({
  name: 'workflow_run',
  title: 'Run a workflow',
  description:
    'Run an automation workflow (the SDK’s JSON) on all its hosts at once, each on its own; the same workflow again resumes its run. Confirmed once; dry_run shows each host’s plan. Follow with workflow_get.',
  toolset: 'workflows',
  minRole: 'operator',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  verb: 'run-workflow-on',
  slack: false,
  input: z.object({
    workflow: z
      .record(z.string(), z.unknown())
      .describe(
        'The SDK’s workflow JSON: "actions" (as `action`), "machines" (or "machine"), "storage", "network", "release". No credentials.',
      ),
    hosts: oneOrMany('Only these hostnames of the workflow ("all" for every one)').optional(),
    action: z.enum(ACTIONS).optional().describe("Run this one action instead of the workflow's actions"),
    dry_run: z.boolean().default(false).describe('Show the plan per host and do nothing'),
    parallel: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(DEFAULT_PARALLEL)
      .describe(`Hosts at once (default ${DEFAULT_PARALLEL})`),
    max_retries: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(DEFAULT_RETRIES)
      .describe(
        `Retries of a step MAAS was down or busy for (1, 2, 4 … ≤ 60 s apart); 0: forever (default ${DEFAULT_RETRIES})`,
      ),
    ...waitFields,
  }),
  output: z.object({
    run: WorkflowViewSchema.optional().describe('The run as it stands'),
    how: z.enum(HOW).optional(),
    plan: z.array(PlannedHost).optional().describe('With dry_run: each host’s steps'),
    notes: z.array(z.string()).describe('What the plan changed from the workflow, and why'),
    note: z.string().optional(),
  }),
  long: true,
  operationKind: () => 'workflow',
  async preview(args, ctx): Promise<WorkflowPlanned> {
    const file = fileOf(args.workflow);
    const p = await runsOf(ctx.deps).preview({
      file,
      action: args.action,
      hosts: asList(args.hosts),
      prefix: 'workflow.',
      role: ctx.principal.role,
      dryRun: args.dry_run,
    });
    if (p.hosts.length === 0 || p.hosts.every((h) => h.steps.length === 0)) {
      throw new InputError('workflow.actions: nothing to do on hosts (list alone is machines_list)');
    }
    return { ...p.gate, workflow: p };
  },
  async run(args, ctx, plan) {
    const p = (plan as WorkflowPlanned).workflow;
    const notes = [...p.notes];
    if (p.actions.includes('list'))
      notes.push('list is not a host step here: machines_list lists the machines');
    if (args.dry_run) {
      ctx.audit.nothingWritten = true;
      return { plan: planned(p), notes, note: 'Dry run: nothing was done.' };
    }
    const started = await runsOf(ctx.deps).start({
      file: fileOf(args.workflow),
      action: args.action,
      hosts: asList(args.hosts),
      prefix: 'workflow.',
      origin: ctx.principal.via === 'cli' ? 'cli' : 'server',
      principal: ctx.principal,
      notify: ctx.notifyTargets ?? [],
      operationId: ctx.operationId,
      maxRetries: args.max_retries,
      parallel: args.parallel,
      known: p.known,
    });
    let op = started.op;
    ctx.audit.operation_id = op.id;
    ctx.audit.targets = op.targets.map((t) => ({
      system_id: t.system_id,
      hostname: t.hostname,
      before: t.start_status,
    }));
    ctx.audit.detail = `${started.how} workflow ${op.id}: ${op.summary}`;
    let note = NOTE[started.how](op.id);
    if (args.wait && op.state === 'running') {
      const waitS = waitSeconds(args, ctx);
      op = await follow(ctx, op.id, waitS);
      if (!FINAL_STATES.has(op.state)) note = stillGoingRun(op.id, waitS, args.wait_timeout_s);
    }
    return { run: workflowView(op, running(ctx.deps, op)), how: started.how, notes, note };
  },
  settle: (out, op) => ({
    ...out,
    run: workflowView(op, false),
    note: describeWorkflow(workflowView(op, false)),
  }),
  render(out) {
    // A held call (a confirmation to give, a call awaiting approval) answers as the gate does.
    if (isHeld(out)) return renderActionResult(out);
    if (out.plan) {
      return [
        'Dry run: nothing was done. The plan per host:',
        ...renderPlan(out.plan),
        ...(out.notes ?? []),
      ].join('\n');
    }
    const lines = out.run ? [renderWorkflow(out.run)] : [];
    lines.push(...(out.notes ?? []));
    if (out.note) lines.push(out.note);
    return lines.join('\n');
  },
});

const NOTE: Record<(typeof HOW)[number], (id: string) => string> = {
  started: (id) => `Started workflow ${id}; follow it with workflow_get (id "${id}", wait: true).`,
  resumed: (id) => `Resumed workflow ${id} where each host had stopped; follow it with workflow_get.`,
  continued: (id) =>
    `Started workflow ${id}, carrying on from the last unfinished run of this workflow: finished steps are not repeated.`,
  running: (id) => `This workflow is already running as ${id}: follow it with workflow_get.`,
  done: (id) => `Every host had already finished this workflow (${id}); nothing to do.`,
};

function stillGoingRun(id: string, waitedS: number, askedS: number): string {
  return stillGoing(id, waitedS, askedS).replace('operation_get', 'workflow_get');
}

/** Waits up to `waitS` for a run to end, reporting hosts done as progress. */
async function follow(ctx: ToolContext, id: string, waitS: number): Promise<Operation> {
  return waitForOperation(ctx.deps, id, {
    timeoutMs: waitS * 1000,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    onProgress: (o) => {
      const v = workflowView(o, true, false);
      ctx.progress?.({
        progress: v.counts.total - v.counts.pending,
        total: v.counts.total,
        message: describeWorkflow(v),
      });
    },
  });
}

async function mustGet(ctx: ToolContext, id: string): Promise<Operation> {
  const op = await ctx.deps.store.getOperation(id.trim());
  if (op?.kind !== 'workflow') {
    throw new ToolError(`no workflow run "${id}" (list them with workflows_list)`);
  }
  return op;
}

/** One run, as workflow_get and workflow_cancel answer (one shape: tools/list shows it once). */
const RunAnswer = z.object({ run: WorkflowViewSchema, note: z.string().optional() });

const READ = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
} as const;

export const workflowGet = defineTool({
  name: 'workflow_get',
  title: 'Show a workflow run',
  description:
    'A workflow run: each host’s result, current step, MAAS’s status message, every step’s outcome. wait: true waits until it ends.',
  toolset: 'workflows',
  minRole: 'viewer',
  annotations: READ,
  verb: 'workflow',
  slack: { positional: 'id' },
  input: z.object({ id: z.string().min(1).describe('The run id (op_…)'), ...waitFields }),
  output: RunAnswer,
  async run(args, ctx) {
    let op = await mustGet(ctx, args.id);
    if (args.wait && !FINAL_STATES.has(op.state) && running(ctx.deps, op)) {
      const waitS = waitSeconds(args, ctx);
      op = await follow(ctx, op.id, waitS);
      if (!FINAL_STATES.has(op.state)) {
        return {
          run: workflowView(op, running(ctx.deps, op)),
          note: stillGoingRun(op.id, waitS, args.wait_timeout_s),
        };
      }
    }
    return { run: workflowView(op, running(ctx.deps, op)) };
  },
  render: (out) => [renderWorkflow(out.run), ...(out.note ? [out.note] : [])].join('\n'),
});

export const workflowsList = defineTool({
  name: 'workflows_list',
  title: 'List workflow runs',
  description: 'List workflow runs, newest first, with hosts done, failed and going.',
  toolset: 'workflows',
  minRole: 'viewer',
  annotations: READ,
  verb: 'workflows',
  input: z.object({
    state: z
      .union([z.enum(OPERATION_STATES), z.array(z.enum(OPERATION_STATES)).min(1)])
      .optional()
      .describe('Only runs in these states'),
    limit: limit(20, 200),
    offset,
  }),
  output: z.object({
    runs: z.array(WorkflowViewSchema),
    more: z.boolean(),
    next_offset: z.number().nullable(),
  }),
  async run(args, { deps }) {
    const rows = await deps.store.listOperations({
      kind: ['workflow'],
      ...(args.state ? { state: asList(args.state) as never } : {}),
      limit: args.limit + 1,
      offset: args.offset,
    });
    const more = rows.length > args.limit;
    return {
      runs: rows.slice(0, args.limit).map((op) => workflowView(op, running(deps, op), false)),
      more,
      next_offset: more ? args.offset + args.limit : null,
    };
  },
  render(out) {
    if (out.runs.length === 0) return 'No workflow runs.';
    const lines = out.runs.map(
      (r: WorkflowView) => `${describeWorkflow(r)} — ${r.summary} (${r.requester}, ${r.created_at})`,
    );
    if (out.more) lines.push(`(more: offset=${out.next_offset})`);
    return lines.join('\n');
  },
});

export const workflowCancel = defineTool({
  name: 'workflow_cancel',
  title: 'Cancel a workflow run',
  description:
    'Cancel a workflow run: no further step starts; what MAAS is doing carries on (machine_abort stops it).',
  toolset: 'workflows',
  minRole: 'operator',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  verb: 'workflow-cancel',
  slack: { positional: 'id' },
  input: z.object({ id: z.string().min(1).describe('The run id (op_…)') }),
  output: RunAnswer,
  async run(args, ctx) {
    const op = await mustGet(ctx, args.id);
    if (!isRequester(op.requester, ctx.principal) && !roleAtLeast(ctx.principal.role, 'admin')) {
      throw new ToolError(
        `workflow ${op.id} was started by ${op.requester.principal} (${op.requester.via}); only they or an admin can cancel it`,
      );
    }
    if (FINAL_STATES.has(op.state)) throw new ToolError(`workflow ${op.id} already ended (${op.state})`);
    ctx.audit.operation_id = op.id;
    ctx.audit.targets = op.targets.map((t) => ({
      system_id: t.system_id,
      hostname: t.hostname,
      before: t.status,
    }));
    const cancelled = await cancelById(ctx.deps, op.id, (o) => !FINAL_STATES.has(o.state));
    if (cancelled === null) throw new ToolError(`workflow ${op.id} kept changing; try again`);
    const now = cancelled ?? op;
    ctx.audit.detail = `cancelled workflow ${op.id}`;
    return { run: workflowView(now, false) };
  },
  render: (out) =>
    `${renderWorkflow(out.run)}\nCancelled: no host starts another step. What MAAS was already doing carries on.`,
});

export const workflowTools = [workflowRun, workflowGet, workflowsList, workflowCancel];
