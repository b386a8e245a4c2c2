/**
 * Writing the audit log: every write, and every refused or cancelled attempt (README "Safety"). The one path
 * (core/invoke.ts) records every tool call that writes; adapters record what happens around calls (a Slack button
 * refused, a held call approved or denied). Arguments are redacted before they are stored; a failure to write is
 * logged loudly but cannot undo a write MAAS already made.
 */

import { redact } from '../base/redact.ts';
import type { AuditRecord } from '../store/types.ts';
import type { ToolContext } from './deps.ts';

export interface AuditEntry {
  tool: string;
  args: Record<string, unknown>;
  result: AuditRecord['result'];
  detail: string;
  targets: AuditRecord['targets'];
  operation_id?: string;
}

export async function recordAudit(
  ctx: Pick<ToolContext, 'deps' | 'principal'>,
  e: AuditEntry,
): Promise<void> {
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
