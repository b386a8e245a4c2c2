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

/**
 * An error that says something happened before the failing step (deploy: "it stays Allocated to you"): the
 * note is added to whatever the failure message becomes.
 */
export class FailureWithNote extends Error {
  override name = 'FailureWithNote';
  constructor(
    readonly failure: unknown,
    readonly note: string,
  ) {
    super(failure instanceof Error ? failure.message : String(failure));
  }
}

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
  } catch (thrown) {
    const note = thrown instanceof FailureWithNote ? thrown.note : undefined;
    const err = thrown instanceof FailureWithNote ? thrown.failure : thrown;
    if (err instanceof MaasNetworkError && err.mayHaveReachedMaas) return settleUnanswered(spec, m, ctx, err);
    const message = failureMessage(spec.verb, m, err, ctx);
    return {
      ok: false,
      row: { ...base, status: m.status_name, error: note ? `${message} (${note})` : message },
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
  const prefix = `cannot ${spec.verb} ${m.hostname}: ${err.message}`;
  let now: MachineSummary | undefined;
  try {
    [now] = await ctx.deps.maas.listMachines({ id: [m.system_id] }, { signal: ctx.signal });
  } catch {
    const error = `${prefix}; MAAS could not be re-read either, so the outcome is unknown — check ${m.hostname} with machine_get before trying again`;
    return { ok: false, row: { ...base, status: m.status_name, error } };
  }
  if (spec.tookEffect?.(m, now)) {
    return {
      ok: true,
      after: now ?? null,
      row: {
        ...base,
        before: m.status_name,
        after: now?.status_name ?? 'Deleted',
        note: 'MAAS answered late, but the change took effect',
      },
    };
  }
  let error: string;
  if (!now)
    error = `${prefix}; ${m.hostname} is no longer visible in MAAS — check what happened before trying again`;
  else if (now.status !== m.status) {
    error = `${prefix}; ${m.hostname} is now ${now.status_name} (it was ${m.status_name}) — check it before trying again`;
  } else if (spec.tookEffect) {
    error = `${prefix}; ${m.hostname} is still ${now.status_name}, so nothing changed (safe to try again)`;
  } else {
    error = `${prefix}; the outcome is unknown — check ${m.hostname} with machine_get before trying again`;
  }
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
