/**
 * The cluster record (README "Kubernetes clusters"): one side of the mapping between a Kubernetes cluster and the
 * MAAS machines it runs on. The other side lives on the machines themselves (owner data and a tag), so that each
 * side can be rebuilt from the other. Secrets (the cluster CA's key, the join token, the certificate key) are
 * kept only sealed: `sealed` is AES-GCM ciphertext under a key that is never in the store.
 */
import * as z from 'zod/v4';

export const CLUSTER_ROLES = ['control-plane', 'worker'] as const;
export const ClusterRole = z.enum(CLUSTER_ROLES);
export type ClusterRole = z.infer<typeof ClusterRole>;

/**
 * Where a machine of the cluster stands, as far as maas-mcp can see: taken (allocated and marked), deploying,
 * deployed (kubeadm then joins it on its own: nothing calls back to say so), failed (MAAS's reason in `error`),
 * releasing (given back; it leaves the record once MAAS has released it).
 */
export const MACHINE_PHASES = ['allocated', 'deploying', 'deployed', 'failed', 'releasing'] as const;
export const MachinePhase = z.enum(MACHINE_PHASES);
export type MachinePhase = z.infer<typeof MachinePhase>;

export const ClusterMachine = z.object({
  system_id: z.string(),
  hostname: z.string(),
  role: ClusterRole,
  /** The control plane's place: 0 runs `kubeadm init`, the others join it. 0 for workers too. */
  index: z.number().int(),
  zone: z.string(),
  pool: z.string(),
  phase: MachinePhase,
  /** MAAS's status label when last seen. */
  status: z.string(),
  ip_addresses: z.array(z.string()),
  /** MAAS's reason (status message, error description, newest events) when it failed. */
  error: z.string().optional(),
  added_at: z.number(),
  updated_at: z.number(),
});
export type ClusterMachine = z.infer<typeof ClusterMachine>;

/** What a cluster is doing now, so that a call that is cut short (or a crash) leaves a record saying so. */
export const CLUSTER_ACTIONS = ['create', 'scale_up', 'scale_down', 'delete'] as const;
export const ClusterAction = z.enum(CLUSTER_ACTIONS);
export type ClusterAction = z.infer<typeof ClusterAction>;

/** A machine that carries the cluster's owner data on MAAS but is not in the record: held, and nobody's. */
export const LeakedMachine = z.object({
  system_id: z.string(),
  hostname: z.string(),
  status: z.string(),
  /** Why it counts as leaked (an older cluster of the same name, a machine the record lost …). */
  why: z.string(),
  found_at: z.number(),
});
export type LeakedMachine = z.infer<typeof LeakedMachine>;

export const ClusterRecord = z.object({
  name: z.string(),
  /** Random, per cluster: a new cluster of the same name is another cluster. */
  uid: z.string(),
  created_at: z.number(),
  updated_at: z.number(),
  /** Who created it (principal id). */
  created_by: z.string(),
  /** What was asked: counts, constraints per role, versions, CIDRs (read by core/clusters/spec.ts). */
  spec: z.record(z.string(), z.unknown()),
  /** The Kubernetes API endpoint, once known: host (a DNS name or an address) and port. */
  endpoint: z
    .object({
      host: z.string(),
      port: z.number().int(),
      kind: z.enum(['dns', 'ip', 'fqdn']),
      /** The MAAS DNS resource maas-mcp made for it (several control planes). */
      dns_resource_id: z.number().int().nullable(),
    })
    .nullable(),
  /** The cluster CA's certificate (public) and the SHA-256 of its public key, as kubeadm pins it. */
  ca_cert_pem: z.string().nullable(),
  ca_cert_hash: z.string().nullable(),
  /** The secrets, sealed (null when the record was rebuilt from MAAS: they were never on MAAS's side). */
  sealed: z.string().nullable(),
  /** Which key sealed them: a digest that names the key without revealing it. */
  key_id: z.string().nullable(),
  /** When kubeadm forgets the join token (null: never). */
  token_expires_at: z.number().nullable(),
  machines: z.array(ClusterMachine),
  action: ClusterAction.nullable(),
  operation_id: z.string().nullable(),
  /** Rebuilt from what the machines carry on MAAS after the record was lost. */
  recovered: z.boolean(),
  /** What is wrong that is not one machine's failure (the endpoint's DNS record, …), each with what to do. */
  problems: z.array(z.string()),
  /** Machines found carrying the cluster's owner data that the record does not list. */
  leaks: z.array(LeakedMachine),
  reconciled_at: z.number().nullable(),
  /** Optimistic concurrency: {@link Store.updateCluster} refuses a stale version. */
  version: z.number().int(),
});
export type ClusterRecord = z.infer<typeof ClusterRecord>;
