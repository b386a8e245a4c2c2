/**
 * Which machines a cluster takes, decided before anything is written so that the preview shows every one of them
 * and the confirmation is bound to them: the Ready, unlocked machines MAAS's own list filters say meet the role's
 * constraints (`GET /machines/` takes the allocation constraints: MAAS `ReadNodesForm`), cheapest first as MAAS
 * orders an allocation (`AcquireNodeForm.reorder_nodes_by_cost`). Each is then allocated by system_id under the
 * same constraints, so MAAS checks them once more. A role's storage layout and network are planned here against
 * each machine's own disks and interfaces, and a machine they cannot fit is refused in the preview.
 */

import type { MachineFilters } from '../../maas/client.ts';
import { MaasBadRequestError } from '../../maas/errors.ts';
import { getMachineConfigs } from '../../maas/machine-config.ts';
import type { MachineSummary } from '../../maas/schemas.ts';
import type { ClusterRole } from '../../store/clusters.ts';
import type { ToolContext } from '../deps.ts';
import { InputError, ToolError } from '../errors.ts';
import type { NetworkPlan } from '../network-model.ts';
import { networkRequestProblems, planNetwork, readNetworkWorld } from '../network-plan.ts';
import { machineSnapshot, type Plan, type PreviewRow, previewRow } from '../plan.ts';
import { planStorage, type StoragePlan, storageRequestProblems } from '../storage-layouts.ts';
import { type StorageHost, storageHost } from '../storage-plan.ts';
import { allocationConstraints, type RoleSpec } from './spec.ts';

/** One machine a cluster will take, and what will be done to it first. */
export interface Chosen {
  role: ClusterRole;
  /** The control plane's place (0 runs `kubeadm init`); for a worker, its number among those taken now. */
  index: number;
  machine: MachineSummary;
  storage?: { plan: StoragePlan; host: StorageHost };
  network?: { plan: NetworkPlan; interfaces: { id: number; name: string }[] };
}

/** A plan of machines to take: the preview's rows and snapshot, and the picks. */
export interface TakePlan extends Plan {
  picks: Chosen[];
}

/** MAAS's allocation order: cheapest first by cpu_count + memory/1024; the system_id breaks ties. */
const cost = (m: MachineSummary) => m.cpu_count + m.memory / 1024;

/** MAAS's constraint names: "cpu_count=2 mem=4096 storage=20 pool=gpu" (cpu_count, mem, storage: at least). */
export function describeConstraints(c: Record<string, string | number | string[]>): string {
  return Object.entries(c)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** Ready, unlocked machines that meet a role's constraints, in MAAS's allocation order. */
export async function candidates(
  role: ClusterRole,
  spec: RoleSpec,
  ctx: ToolContext,
): Promise<MachineSummary[]> {
  const c = allocationConstraints(spec, role);
  const filters: Record<string, string[]> = { status: ['ready'] };
  for (const [k, v] of Object.entries(c)) filters[k] = [v].flat().map(String);
  const rows = await ctx.deps.maas
    .listMachines(filters as MachineFilters, { signal: ctx.signal })
    .catch((err) => {
      // A constraint MAAS does not know (an architecture it has no images for): said of the field it came from.
      if (!(err instanceof MaasBadRequestError)) throw err;
      const field = `constraints.${role === 'control-plane' ? 'control_plane' : 'worker'}`;
      throw new InputError(
        `${field}: MAAS refused ${describeConstraints(c)}: ${ctx.deps.secrets.scrub(err.message)}`,
      );
    });
  return rows
    .filter((m) => !m.locked)
    .sort(
      (a, b) => cost(a) - cost(b) || (a.system_id < b.system_id ? -1 : a.system_id > b.system_id ? 1 : 0),
    );
}

export interface RoleAsk {
  role: ClusterRole;
  spec: RoleSpec;
  count: number;
  /** The first place to number the machines from (a control plane's index, the next worker's). */
  firstIndex: number;
  /** What each machine's row says will happen to it (its place given). */
  effect: (index: number, m: MachineSummary) => string;
}

/**
 * Picks `count` machines per role (control planes first, so that the scarcer role chooses first), plans their
 * storage and network, and makes the preview. Throws a {@link ToolError} saying what is short or what does not
 * fit, before anything is written.
 */
export async function planTake(asks: readonly RoleAsk[], ctx: ToolContext, what: string): Promise<TakePlan> {
  const picks: Chosen[] = [];
  const taken = new Set<string>();
  for (const ask of asks) {
    if (ask.count === 0) continue;
    const all = await candidates(ask.role, ask.spec, ctx);
    const free = all.filter((m) => !taken.has(m.system_id));
    if (free.length < ask.count) {
      const c = describeConstraints(allocationConstraints(ask.spec, ask.role));
      throw new ToolError(
        `cannot ${what}: ${ask.count} ${ask.role} machines needed, but only ${free.length} Ready machines match ${c}${all.length > free.length ? ' (less the other role’s)' : ''}. Nothing was taken: loosen the constraints, or free more machines.`,
      );
    }
    free.slice(0, ask.count).forEach((m, i) => {
      taken.add(m.system_id);
      picks.push({ role: ask.role, index: ask.firstIndex + i, machine: m });
    });
  }
  await planConfiguration(picks, asks, ctx, what);
  const effects = new Map(asks.map((a) => [a.role, a.effect]));
  const rows: PreviewRow[] = picks.map((p) => {
    const extra = [
      ...(p.storage ? [`lay out ${p.storage.plan.layout} first`] : []),
      ...(p.network ? [`configure its network (${p.network.plan.steps.length} MAAS calls)`] : []),
    ];
    const effect = `${effects.get(p.role)?.(p.index, p.machine) ?? ''}${extra.length ? `; ${extra.join('; ')}` : ''}`;
    return previewRow(p.machine, 'run', effect);
  });
  return {
    picks,
    rows,
    missing: [],
    confirm: false,
    snapshot: picks.map((p, i) => machineSnapshot(p.machine, rows[i] as PreviewRow)),
  };
}

/** Plans each pick's storage layout and network against its own disks and interfaces; refuses what cannot fit. */
async function planConfiguration(picks: Chosen[], asks: readonly RoleAsk[], ctx: ToolContext, what: string) {
  const configured = asks.filter((a) => a.count > 0 && (a.spec.storage_layout || a.spec.network));
  if (configured.length === 0) return;
  const problems: string[] = [];
  for (const a of configured) {
    if (a.spec.storage_layout) problems.push(...storageRequestProblems(a.spec.storage_layout));
    if (a.spec.network) problems.push(...networkRequestProblems(a.spec.network, a.count));
  }
  if (problems.length) throw new ToolError(`cannot ${what}: ${problems.join('; ')}`);
  const mine = picks.filter((p) => configured.some((a) => a.role === p.role));
  const full = new Map(
    (
      await getMachineConfigs(
        ctx.deps.maas.http,
        mine.map((p) => p.machine.system_id),
        { signal: ctx.signal },
      )
    ).map((m) => [m.system_id, m]),
  );
  for (const a of configured) {
    const world = a.spec.network ? await readNetworkWorld(a.spec.network, ctx) : undefined;
    for (const p of mine.filter((x) => x.role === a.role)) {
      const m = full.get(p.machine.system_id);
      if (!m) throw new ToolError(`cannot ${what}: ${p.machine.hostname} is no longer in MAAS`);
      if (a.spec.storage_layout) {
        const host = storageHost(m);
        const plan = planStorage(host, a.spec.storage_layout);
        if (plan.problems.length) {
          throw new ToolError(`cannot ${what}: cannot lay out ${m.hostname}: ${plan.problems.join('; ')}`);
        }
        p.storage = { plan, host };
      }
      if (a.spec.network && world) {
        const host = {
          hostname: m.hostname,
          systemId: m.system_id,
          interfaces: m.interface_set,
          gateways: m.default_gateways,
        };
        const plan = planNetwork(host, world, a.spec.network);
        if (plan.problems.length) {
          throw new ToolError(
            `cannot ${what}: cannot configure ${m.hostname}'s network: ${plan.problems.join('; ')}`,
          );
        }
        if (plan.steps.length)
          p.network = { plan, interfaces: m.interface_set.map((i) => ({ id: i.id, name: i.name })) };
      }
    }
  }
}
