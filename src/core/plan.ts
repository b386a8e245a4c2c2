/**
 * What a call that may need confirmation shows before it runs: a preview row per target saying what will happen to
 * it, and the snapshot its confirmation is bound to (README "Safety"). A machine action's plan is one row per
 * machine; a tool whose preview is not per machine (a workflow, a cluster that allocates machines) makes its own
 * rows, one per target it names, and snapshots the machines whose state the confirmation depends on.
 */
import * as z from 'zod/v4';
import type { MachineSummary } from '../maas/schemas.ts';
import type { MachineSnapshot } from '../store/types.ts';

export const PreviewRow = z.object({
  hostname: z.string(),
  system_id: z.string(),
  status: z.string(),
  power: z.string(),
  owner: z.string().nullable(),
  locked: z.boolean(),
  verdict: z.enum(['run', 'skip', 'refuse']),
  effect: z.string().describe('What will happen to this machine, or why nothing will'),
});
export type PreviewRow = z.infer<typeof PreviewRow>;

/** What the gate shows and pins: the targets with a verdict each. */
export interface Plan {
  rows: PreviewRow[];
  /** Names the caller gave that matched nothing. */
  missing: string[];
  /** Some target asks for confirmation although the tool is not destructive (a reboot of a running machine). */
  confirm: boolean;
  /** What a confirmation is bound to: it is refused when any of these changed since the preview. */
  snapshot: MachineSnapshot[];
  /** No targets of its own: the call as a whole is what is confirmed ({@link callPlan}). */
  whole?: true;
  /**
   * A call of a destructive tool that would do nothing destructive this time (a workflow whose steps all only add,
   * read or commission): it runs without asking.
   */
  harmless?: true;
}

/** A machine action's plan: the machines as read, in the order of their rows. */
export interface MachinePlan extends Plan {
  machines: MachineSummary[];
}

/**
 * The plan of a call that has no targets of its own to show (a destructive tool without a preview): the call as a
 * whole is what is confirmed, bound to its exact arguments.
 */
export function callPlan(): Plan {
  return { rows: [], missing: [], confirm: false, snapshot: [], whole: true };
}

/** Whether the plan would do anything: a plan whose every target is skipped, refused or missing needs no confirmation. */
export function plansWork(plan: Plan): boolean {
  return plan.whole === true || plan.rows.some((r) => r.verdict === 'run');
}

/** Whether a person must be asked before the plan runs: it does something, and something destructive. */
export function needsConfirmation(plan: Plan): boolean {
  return plansWork(plan) && plan.harmless !== true;
}

/** A machine as its preview row shows it, and with what the row promises for it. */
export function machineSnapshot(m: MachineSummary, row: PreviewRow): MachineSnapshot {
  return {
    system_id: m.system_id,
    status: m.status,
    shown: {
      hostname: m.hostname,
      owner: m.owner,
      locked: m.locked,
      deployment: deploymentOf(m),
      verdict: row.verdict,
      effect: row.effect,
    },
  };
}

/** A preview row of a machine: its state as read, and the verdict on it. */
export function previewRow(m: MachineSummary, verdict: PreviewRow['verdict'], effect: string): PreviewRow {
  return {
    hostname: m.hostname,
    system_id: m.system_id,
    status: m.status_name,
    power: m.power_state,
    owner: m.owner,
    locked: m.locked,
    verdict,
    effect,
  };
}

/**
 * What tells one deployment of a machine from the next: MAAS starts a new installation result each time it
 * deploys (`current_installation_result_id`, MAAS `maasserver/api/machines.py`), whoever deploys it.
 */
function deploymentOf(m: MachineSummary): string {
  return `${m.osystem}/${m.distro_series}#${m.current_installation_result_id ?? ''}`;
}

/**
 * A sentence naming what changed between a preview's snapshot and a fresh plan, or undefined. The fresh plan's own
 * snapshot and rows say what each machine is now.
 */
export function stateChanges(snapshot: readonly MachineSnapshot[], now: Plan): string | undefined {
  const current = new Map(
    now.snapshot.map((s) => [s.system_id, { s, row: now.rows.find((r) => r.system_id === s.system_id) }]),
  );
  const changes: string[] = [];
  for (const t of snapshot) {
    const c = current.get(t.system_id);
    const changed = c ? changeOf(t, c.s, c.row) : `${t.system_id} is no longer among the targets`;
    if (changed) changes.push(changed);
  }
  for (const s of now.snapshot) {
    if (!snapshot.some((t) => t.system_id === s.system_id)) {
      changes.push(`${s.shown?.hostname ?? s.system_id} was not in the preview`);
    }
  }
  return changes.length ? `Since the preview, ${changes.join('; ')}.` : undefined;
}

/**
 * How one machine differs from what its preview showed and promised, or undefined: its status, its owner (it was
 * released and allocated by someone else), its deployment (deployed again), its name or lock, or what would be
 * done to it (a machine the preview skipped would now be acted on).
 */
function changeOf(t: MachineSnapshot, now: MachineSnapshot, row: PreviewRow | undefined): string | undefined {
  const name = now.shown?.hostname ?? row?.hostname ?? now.system_id;
  if (now.status !== t.status) return `${name} is now ${row?.status ?? `status ${now.status}`}`;
  const was = t.shown;
  if (!was) return `the preview of ${name} was made by an older maas-mcp that did not record its owner`;
  const is = now.shown;
  if (!is) return undefined;
  if (is.owner !== was.owner) {
    if (!is.owner) return `${name} no longer belongs to ${was.owner}`;
    return `${name} now belongs to ${is.owner}${was.owner ? ` (it was ${was.owner}'s)` : ''}`;
  }
  if (is.deployment !== was.deployment) return `${name} was deployed again`;
  if (is.hostname !== was.hostname) return `${was.hostname} is now called ${is.hostname}`;
  if (is.locked !== was.locked) return `${name} is now ${is.locked ? 'locked' : 'unlocked'}`;
  if (is.verdict !== was.verdict || is.effect !== was.effect) {
    const what =
      is.verdict === 'run' ? is.effect : `${is.verdict === 'skip' ? 'skipped' : 'refused'}: ${is.effect}`;
    return `what would happen to ${name} changed (now: ${what})`;
  }
  return undefined;
}
