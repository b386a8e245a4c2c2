/**
 * What a cluster is asked to be (README "Kubernetes clusters"): its name, counts, constraints per role, versions
 * and networks — the fields of `cluster_create`, kept in the cluster record as its spec — and the names that mark
 * its machines on MAAS (owner data keys, tag, provider id).
 */
import * as z from 'zod/v4';
import type { ClusterRole } from '../../store/clusters.ts';
import { InputError } from '../errors.ts';
import { parseCidr } from '../ip.ts';
import { NetworkRequest } from '../network-spec.ts';
import { LayoutParams } from '../storage-spec.ts';

/** Owner data keys on each machine of a cluster (pinned: other programs read them). */
export const OWNER_CLUSTER = 'maas-mcp-cluster';
export const OWNER_UID = 'maas-mcp-cluster-uid';
export const OWNER_ROLE = 'maas-mcp-role';
/** The control plane's place (0 ran `kubeadm init`): lets a record rebuilt from MAAS know its first node. */
export const OWNER_INDEX = 'maas-mcp-index';
/** The Kubernetes version it was deployed with: a record rebuilt from MAAS knows what to add workers with. */
export const OWNER_VERSION = 'maas-mcp-kubernetes';

/** The tag every machine of cluster `name` carries. */
export const clusterTag = (name: string) => `cluster-${name}`;
/** A machine's provider id, as the Cluster API MAAS provider names it. */
export const providerId = (zone: string, systemId: string) => `maas:///${zone}/${systemId}`;
/** The agent name machines are allocated under: it marks them from the moment MAAS hands them over. */
export const agentName = (uid: string) => `maas-mcp-cluster-${uid}`;
/** The MAAS DNS name of the API endpoint of a cluster with several control planes. */
export const endpointLabel = (name: string) => `${name}-api`;
export const API_PORT = 6443;

/** A DNS label short enough for `<name>-api` and the tag: lower case, digits and hyphens. */
export const ClusterName = z
  .string()
  .regex(/^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/, {
    error: 'expected a DNS label: 1–32 of a-z, 0-9 and -, starting with a letter',
  })
  .describe('The cluster’s name, e.g. "prod"');

const TagList = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1).max(20)])
  .describe('Tags it must have; "-tag" it must not, e.g. ["gpu", "-edge"]');

const roleFields = {
  cpus: z.number().int().min(1).max(4096).optional().describe('At least this many cores (default 2)'),
  memory: z
    .number()
    .int()
    .min(512)
    .optional()
    .describe('At least this much memory, MiB (default 4096 control plane, 2048 worker)'),
  architecture: z
    .string()
    .regex(/^[a-z0-9_]+(\/[a-z0-9_.-]+)?$/)
    .optional()
    .describe('e.g. amd64 or arm64/generic'),
  tags: TagList.optional(),
  zone: z.string().min(1).optional().describe('In this zone'),
  pool: z.string().min(1).optional().describe('In this resource pool, e.g. "gpu"'),
  root_disk_gb: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe('Root disk at least this big, GB (default 20)'),
};

/** A role's constraints and configuration as the record keeps them (checked in full). */
export const RoleSpec = z
  .object({
    ...roleFields,
    storage_layout: z
      .object({ layout: z.enum(['flat', 'lvm', 'bcache', 'efi_lvm']), params: LayoutParams.optional() })
      .strict()
      .optional(),
    network: NetworkRequest.strict().optional(),
  })
  .strict();

/**
 * A role's constraints as tools take them: the storage layout and network are the objects machine_storage_layout
 * and machine_network_configure take, referred to rather than repeated (checked in full by {@link checkRoles}).
 */
const RoleSpecInput = z
  .object({
    ...roleFields,
    storage_layout: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('{layout, params} as machine_storage_layout takes'),
    network: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('{bonds, vlans, interfaces} as machine_network_configure takes'),
  })
  .strict();

/** The constraints of a call, checked in full: an error names the field (`constraints.worker.network.…`). */
export function checkRoles<T extends { constraints?: unknown }>(
  args: T,
): Omit<T, 'constraints'> & Pick<ClusterSpec, 'constraints'> {
  const parsed = Constraints.optional().safeParse(args.constraints);
  if (!parsed.success) {
    throw new InputError(
      parsed.error.issues
        .map((i) => `${['constraints', ...i.path.map(String)].join('.')}: ${i.message}`)
        .join('; '),
    );
  }
  const { constraints: _c, ...rest } = args;
  return { ...rest, ...(parsed.data ? { constraints: parsed.data } : {}) };
}
export type RoleSpec = z.infer<typeof RoleSpec>;

const Cidr = (what: string, dflt: string) =>
  z
    .string()
    .refine((v) => parseCidr(v)?.network.family === 4, {
      error: 'expected an IPv4 CIDR such as 10.244.0.0/16',
    })
    .default(dflt)
    .describe(`${what} (default ${dflt})`);

/** `1.34` (the newest patch of that minor) or `1.34.2`; from 1.31 (kubeadm v1beta4 configuration), as pkgs.k8s.io serves them. */
export const KubernetesVersion = z
  .string()
  .regex(/^v?1\.(3[1-9]|[4-9]\d)(\.\d{1,3})?$/, {
    error: 'expected a Kubernetes version 1.31 or newer, e.g. "1.34" or "1.34.2"',
  })
  .transform((v) => v.replace(/^v/, ''))
  .default('1.34')
  .describe('"1.34" (newest 1.34.x) or "1.34.2" (default 1.34)');

const Constraints = z
  .object({ control_plane: RoleSpec.optional(), worker: RoleSpec.optional() })
  .strict()
  .describe('Per role');

/** The fields of `cluster_create` that describe the cluster (not the call: wait, confirmation). */
export const ClusterSpecFields = {
  name: ClusterName,
  control_planes: z.number().int().min(1).max(7).default(1).describe('Control planes: 1, or 3+ (default 1)'),
  workers: z.number().int().min(0).max(100).default(2).describe('Worker nodes, 0–100 (default 2)'),
  constraints: Constraints.optional(),
  distro_series: z
    .string()
    .regex(/^[a-z0-9./-]{2,32}$/, { error: 'expected an Ubuntu series such as "noble" or "jammy"' })
    .default('noble')
    .describe('Ubuntu release to deploy (default noble)'),
  kubernetes_version: KubernetesVersion,
  pod_cidr: Cidr('The pods’ network', '10.244.0.0/16'),
  service_cidr: Cidr('The services’ network', '10.96.0.0/12'),
  join_token_ttl_h: z
    .number()
    .int()
    .min(0)
    .max(8760)
    .default(24)
    .describe('Hours the join token lives (default 24; 0: forever)'),
};

/** What `cluster_create` takes: two control planes cannot keep etcd's majority when one fails. */
export const ClusterCreateFields = {
  ...ClusterSpecFields,
  constraints: z
    .object({ control_plane: RoleSpecInput.optional(), worker: RoleSpecInput.optional() })
    .strict()
    .optional()
    .describe('Per role (control_plane, worker)'),
  control_planes: z
    .number()
    .int()
    .min(1)
    .max(7)
    .refine((n) => n !== 2, {
      error: '2 control planes cannot keep a majority when one fails: use 1, or 3 or more',
    })
    .default(1)
    .describe(ClusterSpecFields.control_planes.description ?? ''),
};

/** A cluster's spec as the record keeps it (a record rebuilt from MAAS may hold any count). */
export const ClusterSpec = z.object(ClusterSpecFields);
export type ClusterSpec = z.infer<typeof ClusterSpec>;

/** The defaults each role's constraints start from: what kubeadm asks of a node, and a root disk for images. */
export const ROLE_DEFAULTS: Record<ClusterRole, { cpus: number; memory: number; root_disk_gb: number }> = {
  'control-plane': { cpus: 2, memory: 4096, root_disk_gb: 20 },
  worker: { cpus: 2, memory: 2048, root_disk_gb: 20 },
};

/** A role's spec from the cluster's (the spec's key for it). */
export function roleSpec(spec: Pick<ClusterSpec, 'constraints'>, role: ClusterRole): RoleSpec {
  return (role === 'control-plane' ? spec.constraints?.control_plane : spec.constraints?.worker) ?? {};
}

/** MAAS allocation constraints for a role (MAAS `AcquireNodeForm`), with the role's defaults. */
export function allocationConstraints(
  spec: RoleSpec,
  role: ClusterRole,
): Record<string, string | number | string[]> {
  const d = ROLE_DEFAULTS[role];
  const tags =
    spec.tags === undefined
      ? []
      : [spec.tags]
          .flat()
          .flatMap((t) => t.split(','))
          .map((t) => t.trim());
  const want = tags.filter((t) => t && !t.startsWith('-'));
  const not = tags.filter((t) => t.startsWith('-')).map((t) => t.slice(1));
  return {
    cpu_count: spec.cpus ?? d.cpus,
    mem: spec.memory ?? d.memory,
    storage: String(spec.root_disk_gb ?? d.root_disk_gb),
    ...(want.length ? { tags: want } : {}),
    ...(not.length ? { not_tags: not } : {}),
    ...(spec.architecture ? { arch: spec.architecture } : {}),
    ...(spec.zone ? { zone: spec.zone } : {}),
    ...(spec.pool ? { pool: spec.pool } : {}),
  };
}

/** The spec as stored in the record, read back (records keep it as plain JSON). */
export function readSpec(stored: Record<string, unknown>): ClusterSpec {
  return ClusterSpec.parse(stored);
}
