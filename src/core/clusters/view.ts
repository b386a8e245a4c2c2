/**
 * A cluster as people and programs read it (cluster_get, clusters_list, the answers of create, scale and delete):
 * its state, endpoint, each machine with its role, provider id, phase, status and addresses, what went wrong and
 * what to do about it. Never a secret.
 */
import * as z from 'zod/v4';
import type { ClusterMachine, ClusterRecord } from '../../store/clusters.ts';
import { releaseFix } from './reconcile.ts';
import { CLUSTER_STATES, clusterState, providerIdOf, roleCounts, shape } from './record.ts';
import { readSpec } from './spec.ts';

/** What "deployed" means and does not: kubeadm joins a node on its first boot, and nothing calls back to say so. */
const UNSEEN = 'which MAAS does not report: check with kubectl get nodes';
export const JOIN_NOTE = `kubeadm joins it on its first boot, ${UNSEEN}`;

export const ClusterMachineView = z.object({
  hostname: z.string(),
  system_id: z.string(),
  role: z.enum(['control-plane', 'worker']),
  provider_id: z.string().describe('maas:///<zone>/<system_id>'),
  phase: z.enum(['allocated', 'deploying', 'deployed', 'failed', 'releasing']),
  status: z.string(),
  ip_addresses: z.array(z.string()),
  zone: z.string(),
  pool: z.string(),
  note: z.string().optional(),
});
export type ClusterMachineView = z.infer<typeof ClusterMachineView>;

export const ClusterView = z.object({
  name: z.string(),
  uid: z.string(),
  state: z.enum(CLUSTER_STATES),
  shape: z.string(),
  asked: z.string(),
  kubernetes_version: z.string(),
  distro_series: z.string(),
  pod_cidr: z.string(),
  service_cidr: z.string(),
  endpoint: z.string().nullable(),
  endpoint_kind: z.enum(['dns', 'ip', 'fqdn']).nullable(),
  created_at: z.string(),
  created_by: z.string(),
  machines: z.array(ClusterMachineView),
  operation_id: z.string().nullable(),
  recovered: z.boolean(),
  problems: z.array(z.string()),
  leaks: z.array(
    z.object({
      hostname: z.string(),
      system_id: z.string(),
      status: z.string(),
      why: z.string(),
      fix: z.string().describe('One step that gives it back'),
    }),
  ),
});
export type ClusterView = z.infer<typeof ClusterView>;

const iso = (ms: number) => new Date(ms).toISOString();

/** What to do about a failed machine of `c`. */
export function fixFor(c: Pick<ClusterRecord, 'name' | 'machines'>, m: ClusterMachine): string {
  if (m.role === 'worker') {
    const workers = c.machines.filter((x) => x.role === 'worker').length;
    return `replace it: cluster_scale {"name": "${c.name}", "workers": ${workers - 1}, "remove": ["${m.hostname}"]}, then back to ${workers}`;
  }
  return m.index === 0
    ? `see machine_events ${m.hostname}, then cluster_delete and create it again`
    : `see machine_events ${m.hostname}; the others run on while a majority is up`;
}

function machineView(c: ClusterRecord, m: ClusterMachine): ClusterMachineView {
  const note =
    m.phase === 'deployed'
      ? JOIN_NOTE
      : m.phase === 'failed'
        ? `${m.error ?? `it is ${m.status}`} — ${fixFor(c, m)}`
        : m.phase === 'allocated'
          ? 'not deploying yet'
          : undefined;
  return {
    hostname: m.hostname,
    system_id: m.system_id,
    role: m.role,
    provider_id: providerIdOf(m),
    phase: m.phase,
    status: m.status,
    ip_addresses: m.ip_addresses,
    zone: m.zone,
    pool: m.pool,
    ...(note ? { note } : {}),
  };
}

export function clusterView(c: ClusterRecord, operationRunning: boolean): ClusterView {
  const spec = readSpec(c.spec);
  const counts = roleCounts(c.machines);
  const order = (m: ClusterMachine) => (m.role === 'control-plane' ? 0 : 1000) + m.index;
  return {
    name: c.name,
    uid: c.uid,
    state: clusterState(c, operationRunning),
    shape: shape(counts['control-plane'], counts.worker),
    asked: shape(spec.control_planes, spec.workers),
    kubernetes_version: spec.kubernetes_version,
    distro_series: spec.distro_series,
    pod_cidr: spec.pod_cidr,
    service_cidr: spec.service_cidr,
    endpoint: c.endpoint ? `https://${c.endpoint.host}:${c.endpoint.port}` : null,
    endpoint_kind: c.endpoint?.kind ?? null,
    created_at: iso(c.created_at),
    created_by: c.created_by,
    machines: [...c.machines]
      .sort((a, b) => order(a) - order(b) || a.hostname.localeCompare(b.hostname))
      .map((m) => machineView(c, m)),
    operation_id: c.operation_id,
    recovered: c.recovered,
    problems: c.problems,
    leaks: c.leaks.map((l) => ({
      hostname: l.hostname,
      system_id: l.system_id,
      status: l.status,
      why: l.why,
      fix: releaseFix([l.hostname]),
    })),
  };
}

export function renderCluster(v: ClusterView): string {
  const lines = [
    `Cluster ${v.name} (${v.shape}, Kubernetes ${v.kubernetes_version} on ${v.distro_series}): ${v.state.replace('_', ' ')}${v.endpoint ? `; API ${v.endpoint}` : ''}`,
  ];
  for (const m of v.machines) {
    const ips = m.ip_addresses.length ? ` ${m.ip_addresses.join(',')}` : '';
    lines.push(`  ${m.role} ${m.hostname} (${m.provider_id}) ${m.phase}, ${m.status}${ips}`);
    if (m.phase === 'failed' && m.note) lines.push(`    ${m.note}`);
  }
  if (v.machines.some((m) => m.phase === 'deployed'))
    lines.push(`  kubeadm joins each node on its first boot, ${UNSEEN}.`);
  for (const p of v.problems) lines.push(`  problem: ${p}`);
  if (v.leaks.length) {
    lines.push(`  ${v.leaks.length} leaked machine${v.leaks.length === 1 ? '' : 's'}:`);
    for (const l of v.leaks) lines.push(`    ${l.hostname} (${l.status}): ${l.why} — fix: ${l.fix}`);
  }
  if (v.recovered) lines.push('  (rebuilt from MAAS: no secrets here)');
  if (v.operation_id) lines.push(`  Operation: ${v.operation_id}`);
  return lines.join('\n');
}
