/**
 * The mapping between a cluster and its MAAS machines, both ways (README "Kubernetes clusters"). On MAAS, each
 * machine carries owner data — the cluster's name and uid, its role and place — and the tag `cluster-<name>`; in
 * the store, the cluster record lists each machine with its provider id `maas:///<zone>/<system_id>`. From the
 * record, the marks every machine must carry ({@link ownerPairs}); from MAAS alone, the record
 * ({@link rebuildRecord}). MAAS clears owner data when it releases a machine (MAAS `maasserver/models/node.py`
 * `_finalize_release`), so a machine carrying a cluster's owner data is held.
 */
import type { MarkedMachine } from '../../maas/clusters.ts';
import { NodeStatus as S } from '../../maas/status.ts';
import type { ClusterMachine, ClusterRecord, ClusterRole, MachinePhase } from '../../store/clusters.ts';
import { machineEntry } from './record.ts';
import { ClusterSpec, OWNER_CLUSTER, OWNER_INDEX, OWNER_ROLE, OWNER_UID, OWNER_VERSION } from './spec.ts';

/** The owner data a machine of cluster `c` carries (MAAS `set_workload_annotations`). */
export function ownerPairs(
  c: Pick<ClusterRecord, 'name' | 'uid'> & { version: string },
  m: Pick<ClusterMachine, 'role' | 'index'>,
): Record<string, string> {
  return {
    [OWNER_CLUSTER]: c.name,
    [OWNER_UID]: c.uid,
    [OWNER_ROLE]: m.role,
    [OWNER_INDEX]: String(m.index),
    [OWNER_VERSION]: c.version,
  };
}

/** What a machine's owner data says it is, if it says it belongs to a cluster. */
export interface Marks {
  cluster: string;
  uid: string;
  role: ClusterRole;
  index: number;
  version: string | undefined;
}

export function marksOf(m: Pick<MarkedMachine, 'owner_data'>): Marks | undefined {
  const d = m.owner_data;
  const cluster = d[OWNER_CLUSTER];
  const uid = d[OWNER_UID];
  if (!cluster || !uid) return undefined;
  const role: ClusterRole = d[OWNER_ROLE] === 'control-plane' ? 'control-plane' : 'worker';
  const index = Number(d[OWNER_INDEX] ?? '0');
  return { cluster, uid, role, index: Number.isInteger(index) ? index : 0, version: d[OWNER_VERSION] };
}

/** Where a machine stands for its cluster, from its MAAS status. */
export function phaseOf(m: Pick<MarkedMachine, 'status'>, was?: MachinePhase): MachinePhase {
  switch (m.status) {
    case S.DEPLOYED:
      return 'deployed';
    case S.DEPLOYING:
      return 'deploying';
    case S.ALLOCATED:
      // Back to Allocated after it was deploying: its deployment was aborted.
      return was === 'deploying' || was === 'deployed' ? 'failed' : 'allocated';
    case S.RELEASING:
    case S.DISK_ERASING:
      return 'releasing';
    default:
      return 'failed';
  }
}

/** MAAS's reason for a machine that is not where its cluster needs it. */
export function reasonOf(
  m: Pick<MarkedMachine, 'status' | 'status_name' | 'status_message' | 'error_description'>,
): string {
  const why = m.error_description || m.status_message;
  if (m.status === S.ALLOCATED)
    return `its deployment stopped: it is Allocated again${why ? ` (${why})` : ''}`;
  return `it is ${m.status_name}${why ? `: ${why}` : ''}`;
}

/**
 * The record of cluster `name` rebuilt from its machines on MAAS alone, when the store lost it: each machine
 * carrying the cluster's owner data (the uid most of them carry, if several), with its role and place. The
 * secrets were never on MAAS: the rebuilt record has none (`sealed` null).
 */
export function rebuildRecord(
  name: string,
  machines: readonly MarkedMachine[],
  endpoint: ClusterRecord['endpoint'],
  now: number,
): ClusterRecord | undefined {
  const mine = machines.flatMap((m) => {
    const marks = marksOf(m);
    return marks && marks.cluster === name ? [{ m, marks }] : [];
  });
  if (mine.length === 0) return undefined;
  const byUid = new Map<string, number>();
  for (const { marks } of mine) byUid.set(marks.uid, (byUid.get(marks.uid) ?? 0) + 1);
  const uid = [...byUid].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] as string;
  const members = mine.filter((x) => x.marks.uid === uid);
  const entries = members
    .map(({ m, marks }) => {
      const e = machineEntry(m, marks.role, marks.index, phaseOf(m), now);
      return e.phase === 'failed' ? { ...e, error: reasonOf(m) } : e;
    })
    .sort((a, b) => (a.role === b.role ? a.index - b.index : a.role === 'control-plane' ? -1 : 1));
  const version = members.find((x) => x.marks.version)?.marks.version;
  const spec = ClusterSpec.parse({
    name,
    control_planes: Math.min(7, Math.max(1, entries.filter((e) => e.role === 'control-plane').length)),
    workers: Math.min(100, entries.filter((e) => e.role === 'worker').length),
    ...(version ? { kubernetes_version: version } : {}),
  });
  return {
    name,
    uid,
    created_at: now,
    updated_at: now,
    created_by: 'rebuilt from MAAS',
    spec: spec as unknown as Record<string, unknown>,
    endpoint,
    ca_cert_pem: null,
    ca_cert_hash: null,
    sealed: null,
    key_id: null,
    token_expires_at: null,
    machines: entries,
    action: null,
    operation_id: null,
    recovered: true,
    problems: [],
    leaks: [],
    reconciled_at: now,
    version: 0,
  };
}
