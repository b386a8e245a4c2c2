/**
 * Deleting a cluster (README "Kubernetes clusters"): every machine it holds is released (its disks erased when
 * asked) — those the record lists, and any leaked machine carrying its owner data. MAAS clears a machine's owner
 * data when it releases it; each leaves the record once released, and the record goes with the last of them.
 * A machine MAAS will not release stays listed, failed, with MAAS's reason: calling cluster_delete again releases
 * what is left. The endpoint's DNS name and the cluster's tag go once every release was accepted.
 */
import { deleteDnsResource, deleteTag, type MarkedMachine } from '../../maas/clusters.ts';
import type { MachineSummary } from '../../maas/schemas.ts';
import type { ClusterRecord } from '../../store/clusters.ts';
import type { RunContext, ToolContext } from '../deps.ts';
import { ToolError } from '../errors.ts';
import { cancelOperation } from '../operations/service.ts';
import { machineSnapshot, type Plan, type PreviewRow, previewRow } from '../plan.ts';
import { type ClusterOutcome, followRelease } from './follow.ts';
import { readMachines, releaseUntag } from './machines.ts';
import { marksOf } from './mapping.ts';
import { heldMachines, isLive, recoverCluster } from './reconcile.ts';
import { machineEntry, saveCluster, shape } from './record.ts';
import { takingMachines } from './scale.ts';
import { clusterTag } from './spec.ts';

export interface DeleteArgs {
  name: string;
  erase?: boolean | undefined;
  wait?: boolean;
  wait_timeout_s?: number;
}

export interface DeletePlan extends Plan {
  /** What MAAS holds for the cluster now: its machines and any leaked ones. */
  machines: MachineSummary[];
  /** Machines carrying its owner data that the record does not list. */
  leaked: MarkedMachine[];
  /** The ones in the record MAAS no longer has for it (they only leave the record). */
  gone: string[];
}

export async function planDelete(args: DeleteArgs, ctx: ToolContext): Promise<DeletePlan> {
  const { deps } = ctx;
  const what = `delete cluster ${args.name}`;
  const held = await heldMachines(deps, ctx.signal);
  // A record the store lost is rebuilt from the machines first: they are what a delete gives back.
  const c =
    (await deps.store.getCluster(args.name)) ?? (await recoverCluster(deps, args.name, held, ctx.signal));
  if (!c) {
    const names = (await deps.store.listClusters()).map((r) => r.name);
    throw new ToolError(
      `cannot ${what}: there is no cluster "${args.name}"${names.length ? ` (clusters: ${names.join(', ')})` : ''}, and no machine on MAAS carries its owner data`,
    );
  }
  if (takingMachines(c, deps.clock.now())) {
    throw new ToolError(
      `cannot ${what}: it is still taking its machines; try again in a minute (a failure there gives them back by itself)`,
    );
  }
  const listed = await readMachines(c.machines, ctx);
  const leaked = held.filter(
    (m) => marksOf(m)?.cluster === c.name && !c.machines.some((x) => x.system_id === m.system_id),
  );
  const machines = [...listed.filter((m) => m.owner !== null), ...leaked];
  const erase = args.erase ? ', erase its disks' : '';
  const rows: PreviewRow[] = machines.map((m) => {
    const entry = c.machines.find((x) => x.system_id === m.system_id);
    const who = entry ? `${entry.role} of ${c.name}` : `leaked: it carries ${c.name}'s owner data`;
    return previewRow(m, 'run', `${who}: release it${erase}`);
  });
  const gone = c.machines
    .filter((x) => !machines.some((m) => m.system_id === x.system_id))
    .map((x) => x.system_id);
  return {
    machines,
    leaked,
    gone,
    rows,
    missing: [],
    confirm: false,
    snapshot: machines.map((m, i) => machineSnapshot(m, rows[i] as PreviewRow)),
    ...(machines.length === 0 ? { whole: true as const } : {}),
  };
}

export async function runDelete(
  args: DeleteArgs,
  plan: DeletePlan,
  ctx: RunContext,
): Promise<ClusterOutcome> {
  const { deps } = ctx;
  const c = await deps.store.getCluster(args.name);
  if (!c) throw new ToolError(`cannot delete cluster ${args.name}: it went meanwhile`);
  // A deploy or scale still being followed is over: its machines are being given back now.
  const previous = c.operation_id ? await deps.store.getOperation(c.operation_id) : undefined;
  if (previous && isLive(previous)) {
    await cancelOperation(deps, previous, {
      error: 'the cluster is being deleted',
      summary: `superseded by cluster_delete`,
    });
  }
  const ids = new Set(plan.machines.map((m) => m.system_id));
  // Leaked machines join the record as they are given back, so that the reconciler follows them too.
  await saveCluster(deps, c.name, (r) => {
    const listed = new Set(r.machines.map((m) => m.system_id));
    const extra = plan.leaked
      .filter((m) => !listed.has(m.system_id))
      .map((m) => {
        const marks = marksOf(m);
        return machineEntry(m, marks?.role ?? 'worker', marks?.index ?? 0, 'releasing', deps.clock.now());
      });
    return {
      ...r,
      action: 'delete',
      machines: [
        ...r.machines
          .filter((m) => !plan.gone.includes(m.system_id))
          .map((m) => (ids.has(m.system_id) ? { ...m, phase: 'releasing' as const } : m)),
        ...extra,
      ],
      leaks: [],
    };
  });
  const { outcomes, released } = await releaseUntag(
    c.name,
    plan.machines,
    args.erase === true,
    `maas-mcp: cluster ${c.name} deleted`,
    ctx,
  );
  if (released.length === plan.machines.length) await removeNames(c, ctx);
  return followRelease(
    {
      name: c.name,
      action: 'delete',
      summary: `delete cluster ${c.name} (${shape(c.machines.filter((m) => m.role === 'control-plane').length, c.machines.filter((m) => m.role === 'worker').length)})`,
      machines: plan.machines,
      outcomes,
    },
    args,
    ctx,
  );
}

/** The API's DNS name and the cluster's tag, once nothing holds them (failures only logged: they hold no machine). */
async function removeNames(c: ClusterRecord, ctx: RunContext): Promise<void> {
  const { deps } = ctx;
  const o = { signal: ctx.signal };
  if (c.endpoint?.dns_resource_id != null) {
    await deleteDnsResource(deps.maas.http, c.endpoint.dns_resource_id, o).catch((err) =>
      deps.log.warn('could not delete the cluster API’s DNS name', { cluster: c.name, error: err }),
    );
  }
  await deleteTag(deps.maas.http, clusterTag(c.name), o).catch((err) =>
    deps.log.warn('could not delete the cluster tag', { cluster: c.name, error: err }),
  );
}
