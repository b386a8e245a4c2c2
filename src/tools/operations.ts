/** Operation tools: list, read (and wait on), cancel. */
import * as z from 'zod/v4';
import { asData } from '../base/text.ts';
import { isRequester, roleAtLeast } from '../core/access.ts';
import type { ToolContext } from '../core/deps.ts';
import { ToolError } from '../core/errors.ts';
import { runTool } from '../core/invoke.ts';
import { cancelById, operationProgress, waitForOperation } from '../core/operations/service.ts';
import { describeOperation, OperationView, operationView } from '../core/operations/view.ts';
import { ActionResult } from '../core/result.ts';
import { defineTool } from '../core/tool.ts';
import { stillGoing, waitFields, waitSeconds } from '../core/wait.ts';
import {
  FINAL_STATES,
  OPERATION_KINDS,
  OPERATION_STATES,
  type Operation,
  type OperationKind,
} from '../store/types.ts';
import { asList, limit, offset } from './common.ts';
import { machineAbort } from './lifecycle.ts';

const READ = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
} as const;

function renderOperation(v: OperationView): string {
  const lines = [
    describeOperation(v),
    `started ${v.created_at} by ${v.requester}; deadline ${v.deadline_at}`,
  ];
  for (const t of v.targets) {
    lines.push(
      `  ${t.hostname} (${t.system_id}) ${t.start_status} → ${t.status}: ${t.result}${t.error ? ` — ${asData(t.error)}` : t.message && t.result === 'pending' ? ` (${asData(t.message)})` : ''}`,
    );
    for (const e of t.events ?? [])
      lines.push(`      ${e.created} ${e.type}${e.description ? `: ${asData(e.description)}` : ''}`);
  }
  return lines.join('\n');
}

/**
 * The kinds a filter means as a person says it: a release that erases disks is recorded as kind `erase` (it has
 * its own deadline), yet it is a release — `kind=release` finds it too; `kind=erase` still finds only erases.
 */
const ALSO_MEANT: Partial<Record<OperationKind, readonly OperationKind[]>> = { release: ['erase'] };

function kindsMeant(kinds: readonly OperationKind[]): OperationKind[] {
  return [...new Set(kinds.flatMap((k) => [k, ...(ALSO_MEANT[k] ?? [])]))];
}

async function mustGet(ctx: ToolContext, id: string): Promise<Operation> {
  const op = await ctx.deps.store.getOperation(id.trim());
  if (!op) throw new ToolError(`no operation "${id}" (list them with operations_list)`);
  return op;
}

export const operationsList = defineTool({
  name: 'operations_list',
  title: 'List operations',
  description: 'List tracked operations, newest first, with how far each got.',
  toolset: 'operations',
  minRole: 'viewer',
  annotations: READ,
  verb: 'ops',
  slack: { view: 'operation-list' },
  input: z.object({
    state: z
      .union([z.enum(OPERATION_STATES), z.array(z.enum(OPERATION_STATES)).min(1)])
      .optional()
      .describe('Only operations in these states'),
    kind: z
      .union([z.enum(OPERATION_KINDS), z.array(z.enum(OPERATION_KINDS)).min(1)])
      .optional()
      .describe('Only these kinds (release also finds erase)'),
    machine: z.string().optional().describe('Only operations on this machine'),
    requester: z.string().optional().describe('Only operations started by this principal'),
    limit: limit(20, 200),
    offset,
  }),
  output: z.object({
    operations: z.array(OperationView.omit({ targets: true })),
    more: z.boolean(),
    next_offset: z.number().nullable(),
  }),
  async run(args, { deps }) {
    const rows = await deps.store.listOperations({
      ...(args.state ? { state: asList(args.state) as never } : {}),
      ...(args.kind ? { kind: kindsMeant(asList(args.kind) as OperationKind[]) } : {}),
      ...(args.machine ? { machine: args.machine } : {}),
      ...(args.requester ? { principal: args.requester } : {}),
      limit: args.limit + 1,
      offset: args.offset,
    });
    const more = rows.length > args.limit;
    return {
      operations: rows.slice(0, args.limit).map((op) => {
        const { targets: _t, ...rest } = operationView(op);
        return rest;
      }),
      more,
      next_offset: more ? args.offset + args.limit : null,
    };
  },
  render(out) {
    if (out.operations.length === 0) return 'No operations match.';
    const lines = out.operations.map(
      (o) =>
        `${o.id} ${o.kind} ${o.state} ${o.counts.succeeded}/${o.counts.total} ok${o.counts.failed ? `, ${o.counts.failed} failed` : ''}${o.counts.pending ? `, ${o.counts.pending} pending` : ''} — ${o.summary} (${o.requester}, ${o.created_at})`,
    );
    if (out.more) lines.push(`(more: offset=${out.next_offset})`);
    return lines.join('\n');
  },
});

export const operationGet = defineTool({
  name: 'operation_get',
  title: 'Show an operation',
  description:
    'One operation: each machine’s status and result, failures with MAAS’s reason and events. wait: true waits until it ends.',
  toolset: 'operations',
  minRole: 'viewer',
  annotations: READ,
  verb: 'op',
  slack: { positional: 'id', view: 'operation' },
  input: z.object({ id: z.string().min(1).describe('The operation id, e.g. op_3kq8…'), ...waitFields }),
  output: z.object({
    operation: OperationView,
    note: z.string().optional().describe('How to keep following it'),
  }),
  async run(args, ctx) {
    let op = await mustGet(ctx, args.id);
    if (args.wait && !FINAL_STATES.has(op.state)) {
      const waitS = waitSeconds(args, ctx);
      op = await waitForOperation(ctx.deps, op.id, {
        timeoutMs: waitS * 1000,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onProgress: (o) => ctx.progress?.(operationProgress(o)),
      });
      if (!FINAL_STATES.has(op.state)) {
        return { operation: operationView(op), note: stillGoing(op.id, waitS, args.wait_timeout_s) };
      }
    }
    return { operation: operationView(op) };
  },
  render: (out) => [renderOperation(out.operation), ...(out.note ? [out.note] : [])].join('\n'),
});

export const operationCancel = defineTool({
  name: 'operation_cancel',
  title: 'Stop tracking an operation',
  description:
    'Stop tracking an operation (MAAS carries on); abort: true also aborts its unfinished machines, confirmed like machine_abort.',
  toolset: 'operations',
  minRole: 'operator',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  verb: 'cancel',
  slack: { positional: 'id' },
  input: z.object({
    id: z.string().min(1).describe('The operation id'),
    abort: z.boolean().default(false).describe('Also abort its machines still in progress'),
  }),
  confirms: 'With abort: the token from the confirmation answer',
  output: z.object({ operation: OperationView, abort: ActionResult.optional() }),
  async run(args, ctx) {
    const op = await mustGet(ctx, args.id);
    if (!isRequester(op.requester, ctx.principal) && !roleAtLeast(ctx.principal.role, 'admin')) {
      throw new ToolError(
        `operation ${op.id} was started by ${op.requester.principal} (${op.requester.via}); only they or an admin can cancel it`,
      );
    }
    if (FINAL_STATES.has(op.state)) throw new ToolError(`operation ${op.id} already ended (${op.state})`);
    const pending = op.targets.filter((t) => t.result === 'pending').map((t) => t.system_id);
    let aborted: ActionResult | undefined;
    if (args.abort && pending.length > 0) {
      // The abort is a call of its own, by the same rules: confirmed, and audited on its own.
      aborted = (await runTool(
        machineAbort,
        {
          machines: pending,
          comment: `operation ${op.id} cancelled by ${ctx.principal.id}`,
          ...(args.confirm_token ? { confirm_token: args.confirm_token } : {}),
        },
        ctx,
      )) as ActionResult;
      // Not confirmed yet (or cancelled): nothing is cancelled until the abort itself goes ahead.
      if (aborted.status !== 'done') {
        ctx.audit.nothingWritten = true;
        return { operation: operationView(op), abort: aborted };
      }
    }
    ctx.audit.operation_id = op.id;
    ctx.audit.targets = op.targets.map((t) => ({
      system_id: t.system_id,
      hostname: t.hostname,
      before: t.status,
    }));
    const cancelled = await cancelTracking(ctx, op.id);
    ctx.audit.detail = `stopped tracking ${op.id}${aborted ? ' and aborted its machines in MAAS' : ''}`;
    return { operation: operationView(cancelled), ...(aborted ? { abort: aborted } : {}) };
  },
  render(out) {
    const lines = [renderOperation(out.operation)];
    if (out.abort) lines.unshift(out.abort.summary);
    return lines.join('\n');
  },
});

/** Stops tracking an operation (retried when the poller updated it meanwhile) and tells listeners. */
async function cancelTracking(ctx: ToolContext, id: string): Promise<Operation> {
  const op = await cancelById(ctx.deps, id, (o) => !FINAL_STATES.has(o.state));
  if (op === null) throw new ToolError(`operation ${id} kept changing; try again`);
  return op ?? mustGet(ctx, id);
}

export const operationTools = [operationsList, operationGet, operationCancel];
