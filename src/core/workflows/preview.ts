/**
 * What a workflow would do, host by host, before anything is done (README "Workflows"): the confirmation shows it
 * (every destructive step of every host), `--dry-run` prints it, and the run starts from the machines it read.
 * Reads MAAS only: the hosts' machines in one request per 100 hostnames, then the rest by MAC or BMC address.
 */
import { mapLimit } from '../../base/concurrency.ts';
import type { Role } from '../../config.ts';
import type { MachineSummary } from '../../maas/schemas.ts';
import type { MachineSnapshot } from '../../store/types.ts';
import { unavailableBecause } from '../access.ts';
import type { Deps } from '../deps.ts';
import { ToolError } from '../errors.ts';
import { machineSnapshot, type Plan, type PreviewRow, previewRow } from '../plan.ts';
import type { HostPreview, StepPreview, WorkflowPreview } from './api.ts';
import { type BmcCache, findMachine, type ToolLookup } from './engine.ts';
import type { Action } from './format.ts';
import type { HostPlan, WorkflowPlan } from './plan.ts';
import { stepOf } from './steps.ts';

const BATCH = 100;

/** Steps that act on the machine itself (release and delete of a machine not in MAAS have nothing to do). */
const NEEDS_MACHINE: ReadonlySet<Action> = new Set([
  'set_power',
  'set_boot_order',
  'configure_storage',
  'commission',
  'configure_network',
  'deploy',
]);

/**
 * The preview of `plan`, or a {@link ToolError} when this maas-mcp cannot do one of its steps for this caller (a
 * tool missing, its toolset off, read-only mode, a higher role needed) — said before anything is done.
 */
export async function previewWorkflow(
  deps: Deps,
  plan: WorkflowPlan,
  tools: ToolLookup,
  opts: { role: Role; dryRun?: boolean | undefined },
): Promise<WorkflowPreview> {
  refuseWhatCannotRun(deps, plan, tools, opts.role);
  const known = await resolveHosts(deps, plan.hosts);
  const hosts: HostPreview[] = [];
  const rows: PreviewRow[] = [];
  const snapshot: MachineSnapshot[] = [];
  let destructive = false;
  for (const h of plan.hosts) {
    const m = known.get(h.hostname.toLowerCase());
    // Not in MAAS, and nothing in the plan creates it: say so rather than promise what cannot happen.
    const lost = !m && !h.steps.some((a) => a === 'create_machine' || a === 'find_machine');
    const steps: StepPreview[] = h.steps.map((action) => {
      const def = stepOf(action);
      const tool = def.tool ? tools(def.tool) : undefined;
      const effect =
        lost && NEEDS_MACHINE.has(action)
          ? 'cannot: it is not in MAAS (add create_machine to the actions to create it)'
          : def.describe(h, m);
      return {
        action,
        effect,
        destructive: tool?.annotations.destructiveHint === true,
        ...(tool ? { tool: { name: tool.name, verb: tool.verb } } : {}),
      };
    });
    destructive ||= steps.some((s) => s.destructive);
    hosts.push({
      hostname: h.hostname,
      system_id: m?.system_id ?? '',
      status: m?.status_name ?? 'not in MAAS',
      steps,
    });
    // One line per step (the confirmation prompt shows it under the host), destructive ones marked.
    const effect = steps.map((s) => `\n    ${s.destructive ? '⚠' : '•'} ${s.action}: ${s.effect}`).join('');
    const row = m ? previewRow(m, 'run', effect) : absentRow(h.hostname, lost ? 'refuse' : 'run', effect);
    rows.push(row);
    if (m) snapshot.push(machineSnapshot(m, row));
  }
  const gate: Plan = {
    rows,
    missing: [],
    confirm: false,
    snapshot,
    // Nothing destructive (or a dry run, which writes nothing): it runs without asking.
    ...(!destructive || opts.dryRun ? { harmless: true as const } : {}),
  };
  return { actions: plan.actions, notes: plan.notes, hosts, gate, known };
}

/** A host not in MAAS yet, as a preview row. */
function absentRow(hostname: string, verdict: PreviewRow['verdict'], effect: string): PreviewRow {
  return {
    hostname,
    system_id: '',
    status: 'not in MAAS',
    power: 'unknown',
    owner: null,
    locked: false,
    verdict,
    effect,
  };
}

function refuseWhatCannotRun(deps: Deps, plan: WorkflowPlan, tools: ToolLookup, role: Role): void {
  const problems = new Set<string>();
  for (const action of plan.steps) {
    const name = stepOf(action).tool;
    if (!name) continue;
    // find_machine only writes when it has to create the machine; the create step is checked when it does.
    if (action === 'find_machine') continue;
    const tool = tools(name);
    if (!tool) {
      problems.add(`${action} needs ${name}, which this maas-mcp does not have`);
      continue;
    }
    const why = unavailableBecause(tool, {
      toolsets: deps.config.toolsets,
      readOnly: deps.config.readOnly,
      role,
    });
    if (why) problems.add(`${action}: ${why}`);
  }
  if (problems.size > 0) {
    throw new ToolError(`this workflow cannot run here: ${[...problems].join('; ')}. Nothing was done.`);
  }
}

/** The hosts' machines, by lower-case hostname: by hostname in batches, then one by one by MAC or BMC address. */
export async function resolveHosts(
  deps: Deps,
  hosts: readonly HostPlan[],
): Promise<Map<string, MachineSummary>> {
  const out = new Map<string, MachineSummary>();
  const names = hosts.map((h) => h.hostname);
  for (let i = 0; i < names.length; i += BATCH) {
    for (const m of await deps.maas.listMachines({ hostname: names.slice(i, i + BATCH) })) {
      out.set(m.hostname.toLowerCase(), m);
    }
  }
  const rest = hosts.filter(
    (h) =>
      !out.has(h.hostname.toLowerCase()) &&
      (h.spec.pxe_mac ||
        h.spec.mac_addresses?.length ||
        h.spec.power_parameters?.power_address !== undefined),
  );
  const cache: BmcCache = {};
  await mapLimit(rest, 8, async (h) => {
    const m = await findMachine(deps, h, cache);
    if (m) out.set(h.hostname.toLowerCase(), m);
  });
  return out;
}
