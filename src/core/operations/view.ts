/**
 * An operation as people and programs read it (operation_get, task results, Slack): counts, each machine's status
 * and result, and one line that says where it stands.
 */
import * as z from 'zod/v4';
import { type Operation, OperationKind, OperationState, TargetResult } from '../../store/types.ts';
import { kindLabel, successWord } from './kinds.ts';

export const OperationView = z.object({
  id: z.string(),
  kind: OperationKind,
  judged_as: OperationKind.optional().describe(
    'For a cluster operation: what is done to its machines (deploy, release or erase)',
  ),
  tool: z.string(),
  state: OperationState,
  summary: z.string(),
  requester: z.string(),
  created_at: z.string(),
  deadline_at: z.string(),
  finished_at: z.string().nullable(),
  counts: z.object({
    total: z.number(),
    succeeded: z.number(),
    failed: z.number(),
    pending: z.number(),
    timed_out: z.number(),
    cancelled: z.number(),
  }),
  targets: z.array(
    z.object({
      hostname: z.string(),
      system_id: z.string(),
      start_status: z.string(),
      status: z.string(),
      result: TargetResult,
      message: z.string(),
      error: z.string().optional(),
      events: z
        .array(z.object({ created: z.string(), type: z.string(), description: z.string() }))
        .optional(),
    }),
  ),
});
export type OperationView = z.infer<typeof OperationView>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function operationView(op: Operation): OperationView {
  const count = (r: TargetResult) => op.targets.filter((t) => t.result === r).length;
  return {
    id: op.id,
    kind: op.kind,
    ...(op.judge_as ? { judged_as: op.judge_as } : {}),
    tool: op.tool,
    state: op.state,
    summary: op.summary,
    requester: `${op.requester.principal} (${op.requester.via})`,
    created_at: iso(op.created_at) as string,
    deadline_at: iso(op.deadline_at) as string,
    finished_at: iso(op.finished_at),
    counts: {
      total: op.targets.length,
      succeeded: count('succeeded'),
      failed: count('failed'),
      pending: count('pending'),
      timed_out: count('timed_out'),
      cancelled: count('cancelled'),
    },
    targets: op.targets.map((t) => ({
      hostname: t.hostname,
      system_id: t.system_id,
      start_status: t.start_status,
      status: t.status,
      result: t.result,
      message: t.status_message,
      ...(t.error ? { error: t.error } : {}),
      ...(t.events?.length
        ? {
            events: t.events
              .slice(0, 5)
              .map((e) => ({ created: e.created, type: e.type, description: e.description })),
          }
        : {}),
    })),
  };
}

/** "deploy: 18 of 20 Deployed, 1 failed (db-03: Installation failed …), 1 still Deploying" */
export function describeOperation(op: Operation | OperationView): string {
  const v = 'counts' in op ? op : operationView(op);
  const parts = [`${v.counts.succeeded} of ${v.counts.total} ${successWord(v.judged_as ?? v.kind)}`];
  const failed = v.targets.filter((t) => t.result === 'failed');
  if (failed.length)
    parts.push(
      `${failed.length} failed (${failed.map((t) => `${t.hostname}: ${t.error ?? t.status}`).join('; ')})`,
    );
  const late = v.targets.filter((t) => t.result === 'timed_out');
  if (late.length)
    parts.push(`${late.length} timed out (${late.map((t) => `${t.hostname} still ${t.status}`).join('; ')})`);
  if (v.counts.pending) parts.push(`${v.counts.pending} still going`);
  if (v.counts.cancelled) parts.push(`${v.counts.cancelled} no longer tracked`);
  return `${kindLabel(v.kind)} ${v.id} ${v.state}: ${parts.join(', ')}`;
}
