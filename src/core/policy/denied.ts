/**
 * The machines a policy rule denied (README "Guardrails"): how a call refused whole names them, and how the answer
 * and the audit record of a call that went ahead without them list them.
 */
import { Refusal } from '../errors.ts';
import type { Plan, PreviewRow } from '../plan.ts';

/** A machine a rule refused, and why. */
export interface DeniedTarget {
  system_id: string;
  hostname: string;
  status: string;
  rule: string;
  reason: string;
  /** Its preview row, as the call's plan showed it. */
  row?: PreviewRow;
}

/** The refusal of a whole call: which machines and why (or why the call), naming each rule. */
export function policyRefusal(tool: string, denied: DeniedTarget[], tail: string, plan?: Plan): Refusal {
  const byRule = new Map<string, DeniedTarget[]>();
  for (const d of denied) byRule.set(d.rule, [...(byRule.get(d.rule) ?? []), d]);
  const parts = [...byRule.values()].map((ds) => {
    const d = ds[0] as DeniedTarget;
    return `${ds.map((x) => x.hostname).join(', ')}: ${d.reason} (policy rule ${d.rule})`;
  });
  return new Refusal(`${tool} is not allowed on ${parts.join('; ')}.${tail}`, 'policy', {
    targets: (plan?.rows ?? []).map((r) => ({
      system_id: r.system_id,
      hostname: r.hostname,
      before: r.status,
      ...(denied.some((d) => d.system_id === r.system_id)
        ? { outcome: `refused by policy rule ${denied.find((d) => d.system_id === r.system_id)?.rule}` }
        : {}),
    })),
  });
}

/** What a denied machine's row says. */
function deniedEffect(d: DeniedTarget): string {
  return `refused by policy rule ${d.rule}: ${d.reason}`;
}

/**
 * The answer of a call narrowed by the policy, with the machines it left out: as failed rows of a done action, as
 * refused rows of a held call's preview, or as a note. Other answers are left as they are.
 */
export function withDenied(out: unknown, denied: readonly DeniedTarget[]): unknown {
  if (denied.length === 0 || typeof out !== 'object' || out === null) return out;
  const o = out as Record<string, unknown>;
  const line = `${denied.length} refused by policy: ${denied.map((d) => `${d.hostname} (rule ${d.rule})`).join(', ')}`;
  const next: Record<string, unknown> = { ...o };
  if (typeof o.summary === 'string') next.summary = `${o.summary} — ${line}`;
  if (Array.isArray(o.preview) && o.status !== 'done') {
    next.preview = [
      ...o.preview,
      ...denied.map((d) => ({
        hostname: d.hostname,
        system_id: d.system_id,
        status: d.status,
        power: d.row?.power ?? 'unknown',
        owner: d.row?.owner ?? null,
        locked: d.row?.locked ?? false,
        verdict: 'refuse',
        effect: deniedEffect(d),
      })),
    ];
  } else if (Array.isArray(o.failed)) {
    next.failed = [
      ...o.failed,
      ...denied.map((d) => ({
        hostname: d.hostname,
        system_id: d.system_id,
        status: d.status,
        error: deniedEffect(d),
      })),
    ];
  } else if (Array.isArray(o.notes)) {
    next.notes = [...o.notes, line];
  }
  return next;
}

/** The audit record's rows for the machines a rule left out. */
export function deniedAuditTargets(denied: readonly DeniedTarget[]) {
  return denied.map((d) => ({
    system_id: d.system_id,
    hostname: d.hostname,
    before: d.status,
    outcome: deniedEffect(d),
  }));
}
