/**
 * Kubernetes clusters on MAAS machines (README "Kubernetes clusters"): create (allocate, mark, deploy with kubeadm
 * cloud-init), list, show (with the reconciler's findings), scale workers, delete, and an admin's kubeconfig.
 * The work is in core/clusters/; these are the tools over it.
 */
import * as z from 'zod/v4';
import { planCreate, runCreate } from '../core/clusters/create.ts';
import { planDelete, runDelete } from '../core/clusters/delete.ts';
import { ClusterOutcome, settleClusterOutcome } from '../core/clusters/follow.ts';
import {
  heldMachines,
  isLive,
  reconcileAll,
  reconcileCluster,
  recoverCluster,
} from '../core/clusters/reconcile.ts';
import { requireCluster } from '../core/clusters/record.ts';
import { planScale, runScale } from '../core/clusters/scale.ts';
import { adminKubeconfig, openSecrets } from '../core/clusters/secrets.ts';
import { ClusterCreateFields, ClusterName, checkRoles } from '../core/clusters/spec.ts';
import { ClusterView, clusterView, renderCluster } from '../core/clusters/view.ts';
import { isHeld, renderActionResult } from '../core/result.ts';
import { defineTool, secret } from '../core/tool.ts';
import { waitFields } from '../core/wait.ts';

const WRITE = { readOnlyHint: false, idempotentHint: false, openWorldHint: true } as const;

function renderOutcome(out: Partial<ClusterOutcome> & Record<string, unknown>): string {
  if (isHeld(out)) return renderActionResult(out);
  const lines = [out.summary ?? ''];
  if (out.cluster) lines.push(renderCluster(out.cluster));
  for (const f of out.failed ?? []) lines.push(`  refused: ${f.hostname}: ${f.error}`);
  if (out.note) lines.push(out.note);
  return lines.filter(Boolean).join('\n');
}

const failedAll = (out: Partial<ClusterOutcome>) =>
  out.status === 'done' && (out.failed?.length ?? 0) > 0 && !out.operation_id;

export const clusterCreate = defineTool({
  name: 'cluster_create',
  title: 'Create a Kubernetes cluster',
  description:
    'Allocate, mark (owner data, tag cluster-<name>) and deploy machines as a kubeadm Kubernetes cluster; the preview lists each. A failure before deploy gives all back.',
  toolset: 'clusters',
  minRole: 'operator',
  maasAdmin: true,
  annotations: { ...WRITE, destructiveHint: true },
  verb: 'cluster-create',
  slack: { positional: 'name' },
  input: z.object({ ...ClusterCreateFields, ...waitFields }),
  output: ClusterOutcome,
  long: true,
  operationKind: () => 'cluster',
  preview: (args, ctx) => planCreate(checkRoles(args), ctx),
  async run(args, ctx, plan) {
    const checked = checkRoles(args);
    return runCreate(checked, plan ?? (await planCreate(checked, ctx)), ctx);
  },
  settle: settleClusterOutcome,
  failed: failedAll,
  render: renderOutcome,
});

export const clustersList = defineTool({
  name: 'clusters_list',
  title: 'List Kubernetes clusters',
  description: 'The Kubernetes clusters, each checked against MAAS: state, shape, endpoint, leaked machines.',
  toolset: 'clusters',
  minRole: 'viewer',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  verb: 'clusters',
  input: z.object({}),
  output: z.object({ clusters: z.array(ClusterView) }),
  async run(_args, ctx) {
    const records = await reconcileAll(ctx.deps, ctx.signal);
    const views = [];
    for (const c of records) {
      const op = c.operation_id ? await ctx.deps.store.getOperation(c.operation_id) : undefined;
      views.push(clusterView(c, isLive(op)));
    }
    return { clusters: views };
  },
  render(out) {
    if (out.clusters.length === 0) return 'No clusters. Create one with cluster_create.';
    return out.clusters
      .map(
        (c) =>
          `${c.name}: ${c.shape}, ${c.state}${c.endpoint ? `, API ${c.endpoint}` : ''}${c.leaks.length ? `, ${c.leaks.length} leaked machine(s)` : ''}`,
      )
      .join('\n');
  },
});

export const clusterGet = defineTool({
  name: 'cluster_get',
  title: 'Show a Kubernetes cluster',
  description:
    'A cluster checked against MAAS: machines (role, provider id, status, IPs), endpoint, failures, leaked machines with a fix. Rebuilds a lost record.',
  toolset: 'clusters',
  minRole: 'viewer',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  verb: 'cluster-show',
  slack: { positional: 'name' },
  input: z.object({ name: ClusterName }),
  output: z.object({ cluster: ClusterView }),
  async run(args, ctx) {
    const { deps } = ctx;
    const held = await heldMachines(deps, ctx.signal);
    const c =
      (await deps.store.getCluster(args.name)) === undefined
        ? await recoverCluster(deps, args.name, held, ctx.signal)
        : await reconcileCluster(deps, args.name, held, ctx.signal);
    const rec = c ?? (await requireCluster(deps, args.name));
    const op = rec.operation_id ? await deps.store.getOperation(rec.operation_id) : undefined;
    return { cluster: clusterView(rec, isLive(op)) };
  },
  render: (out) => renderCluster(out.cluster),
});

export const clusterScale = defineTool({
  name: 'cluster_scale',
  title: 'Scale a cluster’s workers',
  description:
    'Set a cluster’s worker count: new ones deploy and join; removed ones (failed, then newest, or `remove`) are released once confirmed.',
  toolset: 'clusters',
  minRole: 'operator',
  maasAdmin: true,
  annotations: { ...WRITE, destructiveHint: false },
  verb: 'cluster-scale',
  slack: { positional: 'name' },
  confirms: 'Removing workers asks for confirmation: repeat the call with the token from that answer',
  input: z.object({
    name: ClusterName,
    workers: z.number().int().min(0).max(100).describe('The worker count wanted'),
    remove: z.array(z.string().min(1)).max(100).optional().describe('When shrinking: which workers go'),
    erase: z.boolean().default(false).describe('Erase the disks of removed workers'),
    join_token: z.string().optional().describe('A fresh kubeadm token when the cluster’s has expired'),
    ...waitFields,
  }),
  output: ClusterOutcome,
  long: true,
  operationKind: () => 'cluster',
  preview: (args, ctx) => planScale(args, ctx),
  async run(args, ctx, plan) {
    return runScale(args, plan ?? (await planScale(args, ctx)), ctx);
  },
  settle: settleClusterOutcome,
  failed: failedAll,
  render: renderOutcome,
});

export const clusterDelete = defineTool({
  name: 'cluster_delete',
  title: 'Delete a Kubernetes cluster',
  description:
    'Release every machine of a cluster (and leaked ones carrying its owner data); call again to finish a failed delete.',
  toolset: 'clusters',
  minRole: 'operator',
  annotations: { ...WRITE, destructiveHint: true, idempotentHint: true },
  verb: 'cluster-delete',
  slack: { positional: 'name' },
  input: z.object({
    name: ClusterName,
    erase: z.boolean().default(false).describe('Erase the machines’ disks as they are released'),
    ...waitFields,
  }),
  output: ClusterOutcome,
  long: true,
  operationKind: () => 'cluster',
  preview: (args, ctx) => planDelete(args, ctx),
  async run(args, ctx, plan) {
    return runDelete(
      args,
      (plan as Awaited<ReturnType<typeof planDelete>>) ?? (await planDelete(args, ctx)),
      ctx,
    );
  },
  settle: settleClusterOutcome,
  failed: failedAll,
  render: renderOutcome,
});

const KUBECONFIG_HOURS = 24;

export const clusterKubeconfig = defineTool({
  name: 'cluster_kubeconfig',
  title: 'Admin kubeconfig of a cluster',
  description: `A cluster-admin kubeconfig (certificate valid ${KUBECONFIG_HOURS} h); never in Slack, logs or the audit.`,
  toolset: 'clusters',
  minRole: 'admin',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  verb: 'cluster-kubeconfig',
  slack: false,
  secret: true,
  input: z.object({ name: ClusterName }),
  output: z.object({
    kubeconfig: secret(z.string().describe('The kubeconfig (YAML); save it with mode 0600')),
    server: z.string(),
    expires_at: z.string(),
  }),
  async run(args, ctx) {
    const { deps } = ctx;
    const c = await requireCluster(deps, args.name);
    const secrets = await openSecrets(deps.vault, c, `make a kubeconfig for ${c.name}`);
    const now = deps.clock.now();
    const k = await adminKubeconfig(
      c,
      secrets,
      `maas-mcp:${ctx.principal.id}`,
      now,
      KUBECONFIG_HOURS * 3_600_000,
    );
    ctx.audit.detail = `issued an admin kubeconfig for cluster ${c.name} (valid until ${new Date(k.expires_at).toISOString()})`;
    return { kubeconfig: k.kubeconfig, server: k.server, expires_at: new Date(k.expires_at).toISOString() };
  },
  render: (out) => `Admin kubeconfig for ${out.server}, valid until ${out.expires_at}:\n\n${out.kubeconfig}`,
});

export const clusterTools = [
  clusterCreate,
  clustersList,
  clusterGet,
  clusterScale,
  clusterDelete,
  clusterKubeconfig,
];
