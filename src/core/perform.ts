/**
 * Performing an action on one machine, and deciding what happened when MAAS did not say: a write that may have
 * reached MAAS is never re-sent blindly — the machine is re-read and the action's own test decides. The re-reads
 * of one call are batched: however many writes went unanswered, one `GET /machines/?id=…` per 100 of them.
 */
import type * as z from 'zod/v4';
import { mapLimit } from '../base/concurrency.ts';
import {
  MaasBadRequestError,
  MaasConflictError,
  MaasForbiddenError,
  MaasNetworkError,
} from '../maas/errors.ts';
import type { MachineSummary } from '../maas/schemas.ts';
import type { ToolContext } from './deps.ts';
import { describeError, isTransient } from './errors.ts';
import type { DoneRow, FailedRow } from './result.ts';

export type Outcome =
  | { ok: true; row: DoneRow; after: MachineSummary | null }
  | { ok: false; row: FailedRow };

/** A write that may have reached MAAS but got no answer: {@link settleUnanswered} decides what it did. */
export interface Unanswered {
  unanswered: MaasNetworkError;
  machine: MachineSummary;
}

/** What performing an action on one machine needs: its phrase, the write, and how to judge an unanswered one. */
export interface Performer<I extends z.ZodObject> {
  /** The action as a person says it: "deploy", "power off". */
  phrase: string;
  perform(m: MachineSummary, args: z.infer<I>, ctx: ToolContext): Promise<MachineSummary | null>;
  tookEffect?(before: MachineSummary, now: MachineSummary | undefined): boolean;
}

/** Ids per re-read request (MAAS takes any number; URLs stay short at 100). */
const REREAD_BATCH = 100;

/** Performs the action on one machine: its outcome, or {@link Unanswered} when MAAS may have got the write. */
export async function performOne<I extends z.ZodObject>(
  spec: Performer<I>,
  m: MachineSummary,
  args: z.infer<I>,
  ctx: ToolContext,
): Promise<Outcome | Unanswered> {
  const base = { hostname: m.hostname, system_id: m.system_id };
  try {
    const after = await spec.perform(m, args, ctx);
    return {
      ok: true,
      after,
      row: { ...base, before: m.status_name, after: after?.status_name ?? m.status_name },
    };
  } catch (err) {
    if (err instanceof MaasNetworkError && err.mayHaveReachedMaas) return { unanswered: err, machine: m };
    const error = failureMessage(spec.phrase, m, err, ctx);
    return {
      ok: false,
      row: { ...base, status: m.status_name, error, ...(isTransient(err) ? { transient: true } : {}) },
    };
  }
}

/**
 * Each machine's outcome, in the order given: the writes run 8 at a time, and those MAAS did not answer are judged
 * together, on one batched re-read once every write is done.
 */
export async function performAll<I extends z.ZodObject>(
  spec: Performer<I>,
  machines: readonly MachineSummary[],
  args: z.infer<I>,
  ctx: ToolContext,
): Promise<Outcome[]> {
  const performed = await mapLimit(machines, 8, (m) => performOne(spec, m, args, ctx));
  const unanswered = performed.filter((o) => 'unanswered' in o);
  const settled = unanswered.length > 0 ? await settleUnanswered(spec, unanswered, ctx) : [];
  return performed.map((o) => ('unanswered' in o ? (settled.shift() as Outcome) : o));
}

/**
 * Decides what unanswered writes did, from one batched re-read of their machines (a batch MAAS does not answer
 * leaves its machines' outcome unknown). Outcomes come back in the order of `pending`.
 */
export async function settleUnanswered<I extends z.ZodObject>(
  spec: Performer<I>,
  pending: readonly Unanswered[],
  ctx: ToolContext,
): Promise<Outcome[]> {
  const ids = pending.map((p) => p.machine.system_id);
  const seen = new Map<string, MachineSummary>();
  const unread = new Set<string>();
  for (let i = 0; i < ids.length; i += REREAD_BATCH) {
    const batch = ids.slice(i, i + REREAD_BATCH);
    try {
      for (const m of await ctx.deps.maas.listMachines({ id: batch }, { signal: ctx.signal })) {
        seen.set(m.system_id, m);
      }
    } catch {
      for (const id of batch) unread.add(id);
    }
  }
  return pending.map(({ machine: m, unanswered: err }) =>
    unread.has(m.system_id)
      ? unknownOutcome(spec, m, err, ctx)
      : settleOne(spec, m, seen.get(m.system_id), err, ctx),
  );
}

function unknownOutcome<I extends z.ZodObject>(
  spec: Performer<I>,
  m: MachineSummary,
  err: MaasNetworkError,
  ctx: ToolContext,
): Outcome {
  const error = `${unansweredPrefix(spec, m, err, ctx)}; MAAS could not be re-read either, so the outcome is unknown — check ${m.hostname} with machine_get before trying again`;
  const row = { hostname: m.hostname, system_id: m.system_id, status: m.status_name, error };
  return { ok: false, row: { ...row, transient: true } };
}

function unansweredPrefix<I extends z.ZodObject>(
  spec: Performer<I>,
  m: MachineSummary,
  err: MaasNetworkError,
  ctx: ToolContext,
): string {
  return `cannot ${spec.phrase} ${m.hostname}: ${describeError(err, ctx.deps.secrets)}`;
}

/** One machine's unanswered write, judged on its fresh read (`now` undefined: MAAS no longer has it). */
function settleOne<I extends z.ZodObject>(
  spec: Performer<I>,
  m: MachineSummary,
  now: MachineSummary | undefined,
  err: MaasNetworkError,
  ctx: ToolContext,
): Outcome {
  const base = { hostname: m.hostname, system_id: m.system_id };
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
  const prefix = unansweredPrefix(spec, m, err, ctx);
  let error: string;
  if (!now)
    error = `${prefix}; ${m.hostname} is no longer visible in MAAS — check what happened before trying again`;
  else if (now.status !== m.status) {
    error = `${prefix}; ${m.hostname} is now ${now.status_name} (it was ${m.status_name}) — check it before trying again`;
  } else if (spec.tookEffect) {
    error = `${prefix}; ${m.hostname} is still ${now.status_name}, so nothing changed (safe to try again)`;
    return { ok: false, row: { ...base, status: now.status_name, error, transient: true } };
  } else {
    error = `${prefix}; the outcome is unknown — check ${m.hostname} with machine_get before trying again`;
  }
  return { ok: false, row: { ...base, status: now?.status_name ?? m.status_name, error } };
}

/**
 * "cannot deploy web-01: <why>". MAAS's own 400/403/409 answers read like our pre-checks — MAAS's words, without
 * describeError's "MAAS refused:" lead-in; everything else is described by describeError. Never holds a secret.
 */
export function failureMessage(verb: string, m: MachineSummary, err: unknown, ctx: ToolContext): string {
  const { secrets, log } = ctx.deps;
  let why: string;
  if (err instanceof MaasBadRequestError) why = secrets.scrub(err.message);
  // A 403 or 409 often comes with no text: say what it means for a machine action.
  else if (err instanceof MaasForbiddenError) {
    why = err.body.trim()
      ? secrets.scrub(err.message)
      : 'MAAS refused — it is locked, owned by another user, or this needs a MAAS admin';
  } else if (err instanceof MaasConflictError) {
    why = err.body.trim() ? secrets.scrub(err.message) : 'MAAS refused it in its current state';
  } else why = describeError(err, secrets, log);
  return `cannot ${verb} ${m.hostname}: ${why}`;
}
