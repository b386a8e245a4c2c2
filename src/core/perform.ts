/**
 * Performing an action on one machine, and deciding what happened when MAAS did not say: a write that may have
 * reached MAAS is never re-sent blindly — the machine is re-read and the action's own test decides.
 */
import type { z } from 'zod';
import {
  MaasBadRequestError,
  MaasConflictError,
  MaasForbiddenError,
  MaasNetworkError,
} from '../maas/errors.ts';
import type { MachineSummary } from '../maas/schemas.ts';
import type { ToolContext } from '../tools/define.ts';
import type { ActionSpec, DoneRow, FailedRow } from './actions.ts';
import { describeError } from './errors.ts';

export type Outcome =
  | { ok: true; row: DoneRow; after: MachineSummary | null }
  | { ok: false; row: FailedRow };

export async function performOne<I extends z.ZodObject>(
  spec: ActionSpec<I>,
  m: MachineSummary,
  args: z.infer<I>,
  ctx: ToolContext,
): Promise<Outcome> {
  const base = { hostname: m.hostname, system_id: m.system_id };
  try {
    const after = await spec.perform(m, args, ctx);
    return {
      ok: true,
      after,
      row: { ...base, before: m.status_name, after: after?.status_name ?? m.status_name },
    };
  } catch (err) {
    if (err instanceof MaasNetworkError && err.mayHaveReachedMaas) return settleUnanswered(spec, m, ctx, err);
    return {
      ok: false,
      row: { ...base, status: m.status_name, error: failureMessage(spec.verb, m, err, ctx) },
    };
  }
}

async function settleUnanswered<I extends z.ZodObject>(
  spec: ActionSpec<I>,
  m: MachineSummary,
  ctx: ToolContext,
  err: MaasNetworkError,
): Promise<Outcome> {
  const base = { hostname: m.hostname, system_id: m.system_id };
  let now: MachineSummary | undefined;
  try {
    [now] = await ctx.deps.maas.listMachines({ id: [m.system_id] }, { signal: ctx.signal });
  } catch {
    now = undefined;
  }
  if (now && spec.tookEffect?.(m, now)) {
    return {
      ok: true,
      after: now,
      row: {
        ...base,
        before: m.status_name,
        after: now.status_name,
        note: 'MAAS answered late, but the change took effect',
      },
    };
  }
  const error =
    now && spec.tookEffect
      ? `${err.message}; ${m.hostname} is still ${now.status_name}, so nothing changed (safe to try again)`
      : `${err.message}; the outcome for ${m.hostname} is unknown — check it with machine_get before trying again`;
  return { ok: false, row: { ...base, status: now?.status_name ?? m.status_name, error } };
}

/** "cannot deploy web-01: <MAAS's reason>" — MAAS's own 400/403/409 answers, rendered like our pre-checks. */
export function failureMessage(verb: string, m: MachineSummary, err: unknown, ctx: ToolContext): string {
  const prefix = `cannot ${verb} ${m.hostname}`;
  if (err instanceof MaasConflictError)
    return `${prefix}: ${err.body.trim() || 'MAAS refused it in its current state'}`;
  if (err instanceof MaasForbiddenError) {
    return `${prefix}: ${err.body.trim() || 'MAAS refused — it is locked, owned by another user, or this needs a MAAS admin'}`;
  }
  if (err instanceof MaasBadRequestError) return `${prefix}: ${err.message}`;
  return `${prefix}: ${describeError(err, ctx.deps.secrets, ctx.deps.log)}`;
}
