/**
 * Writing the audit log: every write, and every refused or cancelled destructive attempt (README "Safety").
 * Arguments are redacted before they are stored; a failure to write is logged loudly but cannot undo a write
 * MAAS already made.
 */

import { redact } from '../base/redact.ts';
import type { AuditRecord } from '../store/types.ts';
import { describeError } from './errors.ts';
import type { ToolContext } from './tool.ts';

export interface AuditEntry {
  tool: string;
  args: Record<string, unknown>;
  result: AuditRecord['result'];
  detail: string;
  targets: AuditRecord['targets'];
  operation_id?: string;
}

export async function recordAudit(ctx: ToolContext, e: AuditEntry): Promise<void> {
  const { deps, principal } = ctx;
  try {
    await deps.store.appendAudit({
      at: deps.clock.now(),
      principal: principal.id,
      via: principal.via,
      tool: e.tool,
      targets: e.targets,
      result: e.result,
      detail: deps.secrets.scrub(e.detail),
      args: redact(e.args) as Record<string, unknown>,
      operation_id: e.operation_id ?? null,
    });
  } catch (err) {
    deps.log.error('could not write the audit log', { tool: e.tool, principal: principal.id, error: err });
  }
}

/** What a write that went through reports for its audit record. */
export interface AuditedResult<T> {
  out: T;
  detail: string;
  /** Default 'ok'. */
  result?: AuditRecord['result'];
  /** Default the targets given to {@link audited}. */
  targets?: AuditRecord['targets'];
}

/**
 * Runs a write and audits it either way: as `work` reports it when it goes through; when it throws, as 'failed'
 * (or what `failure` says, e.g. 'partial' when part was done) with the error as the caller reads it. The error
 * is then rethrown.
 */
export async function audited<T>(
  ctx: ToolContext,
  call: { tool: string; args: Record<string, unknown>; targets?: AuditRecord['targets'] },
  work: () => Promise<AuditedResult<T>>,
  failure?: (err: unknown) => Partial<Pick<AuditEntry, 'result' | 'targets'>>,
): Promise<T> {
  const targets = call.targets ?? [];
  let r: AuditedResult<T>;
  try {
    r = await work();
  } catch (err) {
    await recordAudit(ctx, {
      tool: call.tool,
      args: call.args,
      result: 'failed',
      // The adapter logs unexpected errors when it renders them: not logged twice here.
      detail: describeError(err, ctx.deps.secrets),
      targets,
      ...failure?.(err),
    });
    throw err;
  }
  await recordAudit(ctx, {
    tool: call.tool,
    args: call.args,
    result: r.result ?? 'ok',
    detail: r.detail,
    targets: r.targets ?? targets,
  });
  return r.out;
}
