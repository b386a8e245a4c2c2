/**
 * The answer of a machine action — what was done, skipped and refused per machine — which is also the answer the
 * confirmation gate gives for any tool when it holds a call (a preview with a confirm token, a cancellation, a call
 * awaiting a person's approval).
 */
import * as z from 'zod/v4';
import type { Operation } from '../store/types.ts';
import { describeOperation, OperationView, operationView } from './operations/view.ts';
import { PreviewRow } from './plan.ts';

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
  transient: z
    .boolean()
    .optional()
    .describe(
      'True when MAAS was unreachable or busy rather than refusing: try again later, after looking at the machine',
    ),
});

export const ActionResult = z.object({
  status: z
    .enum(['done', 'confirmation_required', 'cancelled', 'awaiting_approval'])
    .describe(
      'done: carried out; confirmation_required: call again with confirm_token; cancelled: nothing changed; awaiting_approval: a person must approve it first (follow operation_id)',
    ),
  action: z.string(),
  summary: z.string(),
  succeeded: z.array(Done),
  skipped: z.array(Skipped).describe('Machines with nothing to do (e.g. already Ready)'),
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
  operation: OperationView.optional().describe('The operation as it stood (with wait: true)'),
});
export type ActionResult = z.infer<typeof ActionResult>;
export type DoneRow = z.infer<typeof Done>;
export type SkippedRow = z.infer<typeof Skipped>;
export type FailedRow = z.infer<typeof Failed>;

/** An answer the gate gave instead of running the call. */
export type HeldStatus = Exclude<ActionResult['status'], 'done'>;

/** Whether an answer is one the gate held (a preview, a cancellation, a call awaiting approval). */
export function isHeld(out: unknown): out is ActionResult & { status: HeldStatus } {
  if (typeof out !== 'object' || out === null) return false;
  const status = (out as { status?: unknown }).status;
  return status === 'confirmation_required' || status === 'cancelled' || status === 'awaiting_approval';
}

/**
 * An answer once the operation it started has ended: the answer it gave at the start, with the operation as it
 * ended. A call that was held for a person's approval says whether it was approved and run.
 */
export function settleActionResult(out: ActionResult, op: Operation): ActionResult {
  const operation = operationView(op);
  if (out.status !== 'awaiting_approval') return { ...out, note: describeOperation(op), operation };
  const { preview: _preview, ...rest } = out;
  const what = describeOperation(op);
  return op.state === 'cancelled'
    ? { ...rest, status: 'cancelled', summary: `Not run: ${op.summary}`, note: what, operation }
    : { ...rest, status: 'done', summary: `Approved and run: ${what}`, note: what, operation };
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
