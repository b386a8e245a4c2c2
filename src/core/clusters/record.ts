/**
 * The cluster record as the cluster code uses it: reading and saving it (compare-and-set, so that a call and the
 * poller's reconciler never overwrite each other), a machine's entry, and the state a cluster is in — computed from
 * its machines and what it is doing, never stored on its own.
 */
import type { MachineSummary } from '../../maas/schemas.ts';
import type { ClusterMachine, ClusterRecord, ClusterRole, MachinePhase } from '../../store/clusters.ts';
import type { Deps } from '../deps.ts';
import { ToolError } from '../errors.ts';
import { providerId } from './spec.ts';

export const CLUSTER_STATES = [
  'creating',
  'deploying',
  'ready',
  'degraded',
  'scaling',
  'deleting',
  'delete_failed',
] as const;
export type ClusterState = (typeof CLUSTER_STATES)[number];

/** What a cluster is doing or how it stands, from its machines and its current action. */
export function clusterState(c: ClusterRecord, operationRunning: boolean): ClusterState {
  const phases = new Set(c.machines.map((m) => m.phase));
  if (c.action === 'delete')
    return operationRunning || phases.has('releasing') ? 'deleting' : 'delete_failed';
  if (operationRunning && (c.action === 'scale_up' || c.action === 'scale_down')) return 'scaling';
  if (phases.has('failed') || c.leaks.length > 0 || c.problems.length > 0) return 'degraded';
  if (phases.has('deploying') || phases.has('releasing')) return operationRunning ? 'deploying' : 'degraded';
  if (phases.has('allocated')) return 'creating';
  return 'ready';
}

/** A machine's entry in the record, from MAAS's answer. */
export function machineEntry(
  m: MachineSummary,
  role: ClusterRole,
  index: number,
  phase: MachinePhase,
  now: number,
): ClusterMachine {
  return {
    system_id: m.system_id,
    hostname: m.hostname,
    role,
    index,
    zone: m.zone?.name ?? 'default',
    pool: m.pool?.name ?? 'default',
    phase,
    status: m.status_name,
    ip_addresses: [...m.ip_addresses],
    added_at: now,
    updated_at: now,
  };
}

export const providerIdOf = (m: Pick<ClusterMachine, 'zone' | 'system_id'>) =>
  providerId(m.zone, m.system_id);

/** The cluster record, or a {@link ToolError} naming what exists. */
export async function requireCluster(deps: Deps, name: string): Promise<ClusterRecord> {
  const c = await deps.store.getCluster(name);
  if (c) return c;
  const names = (await deps.store.listClusters()).map((r) => r.name);
  throw new ToolError(
    `there is no cluster "${name}"${names.length ? ` (clusters: ${names.join(', ')})` : ' (there are no clusters: create one with cluster_create)'}`,
  );
}

/**
 * Applies `change` to the stored record and saves it, reading it again and re-applying when someone else saved
 * first. `change` may return `null` to delete the record. Answers the record as saved (undefined once deleted).
 */
export async function saveCluster(
  deps: Deps,
  name: string,
  change: (c: ClusterRecord) => ClusterRecord | null,
): Promise<ClusterRecord | undefined> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const current = await deps.store.getCluster(name);
    if (!current) return undefined;
    const next = change(structuredClone(current));
    if (next === null) {
      if (await deps.store.deleteCluster(name, current.version)) return undefined;
      continue;
    }
    const saved = await deps.store.updateCluster({
      ...next,
      version: current.version,
      updated_at: deps.clock.now(),
    });
    if (saved) return saved;
  }
  throw new Error(`cluster ${name} kept changing while it was being saved`);
}

/** Counts by role: `{ 'control-plane': n, worker: m }`. */
export function roleCounts(machines: readonly Pick<ClusterMachine, 'role'>[]): Record<ClusterRole, number> {
  return {
    'control-plane': machines.filter((m) => m.role === 'control-plane').length,
    worker: machines.filter((m) => m.role === 'worker').length,
  };
}

/** "3 + 5" */
export function shape(cp: number, workers: number): string {
  return `${cp} + ${workers}`;
}
