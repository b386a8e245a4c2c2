/**
 * After a cluster's machines were asked to deploy or release: the record takes each machine's outcome, an
 * operation (kind `cluster`) follows what MAAS does next — per-machine progress, a completion notice to where the
 * call came from, an MCP task's result — and the call answers with the cluster as it now stands (waiting first,
 * when asked).
 */
import * as z from 'zod/v4';
import type { MachineSummary } from '../../maas/schemas.ts';
import type { ClusterAction, ClusterMachine, ClusterRecord } from '../../store/clusters.ts';
import type { Operation, OperationKind } from '../../store/types.ts';
import type { RunContext } from '../deps.ts';
import { operationProgress, startOperation, waitForOperation } from '../operations/service.ts';
import { describeOperation, type OperationView, operationView } from '../operations/view.ts';
import type { Outcome } from '../perform.ts';
import { ActionResult } from '../result.ts';
import { stillGoing, waitSeconds } from '../wait.ts';
import { heldMachines, isLive, reconcileCluster } from './reconcile.ts';
import { saveCluster } from './record.ts';
import { ClusterView, clusterView } from './view.ts';

/** The answer of cluster_create, cluster_scale and cluster_delete. */
export const ClusterOutcome = z.object({
  status: ActionResult.shape.status,
  action: ActionResult.shape.action,
  summary: ActionResult.shape.summary,
  cluster: ClusterView.nullable().describe('The cluster as it stands now (null once it is deleted)'),
  failed: ActionResult.shape.failed,
  note: ActionResult.shape.note,
  operation_id: ActionResult.shape.operation_id,
  operation: ActionResult.shape.operation,
});
export type ClusterOutcome = z.infer<typeof ClusterOutcome>;

export interface Follow {
  name: string;
  action: ClusterAction;
  /** One line: "create cluster prod (3 + 5, Kubernetes 1.34)". */
  summary: string;
  judgeAs: Extract<OperationKind, 'deploy' | 'release' | 'erase'>;
  /** The machines asked, in the order of `outcomes`. */
  machines: readonly MachineSummary[];
  outcomes: readonly Outcome[];
  /** Each machine's status before the call, for the operation's start status. */
  before: (m: MachineSummary) => string;
  /** What else the record takes (the endpoint, a problem). */
  update?: (c: ClusterRecord) => ClusterRecord;
  /** What each machine's entry becomes, from its outcome. */
  entryFor(m: MachineSummary, o: Outcome): Partial<ClusterMachine>;
  /** A machine given back for good once MAAS accepted its release: its entry goes. */
  dropAccepted?: boolean;
  wait: boolean;
  waitTimeoutS: number | undefined;
}

/** The longest a cluster operation may run: its kind's deadline, or an erase's when disks are erased. */
function timeoutMs(ctx: RunContext, judgeAs: Follow['judgeAs']): number {
  const d = ctx.deps.config.deadlinesMin;
  return Math.max(d.cluster, judgeAs === 'erase' ? d.erase : 0) * 60_000;
}

export async function followOperation(f: Follow, ctx: RunContext): Promise<ClusterOutcome> {
  const { deps } = ctx;
  const accepted = f.outcomes.flatMap((o, i) => (o.ok ? [o.after ?? (f.machines[i] as MachineSummary)] : []));
  let op: Operation | undefined;
  if (accepted.length > 0) {
    op = await startOperation(deps, {
      kind: 'cluster',
      judgeAs: f.judgeAs,
      timeoutMs: timeoutMs(ctx, f.judgeAs),
      tool: toolOf(f.action),
      summary: f.summary.slice(0, 200),
      machines: accepted,
      before: new Map(f.machines.map((m) => [m.system_id, f.before(m)])),
      requester: { principal: ctx.principal.id, via: ctx.principal.via, role: ctx.principal.role },
      notify: ctx.notifyTargets ?? [],
      ...(ctx.operationId ? { id: ctx.operationId } : {}),
      ...(ctx.announceCompletion ? { announce: true } : {}),
    });
  }
  const byId = new Map(f.machines.map((m, i) => [m.system_id, { m, o: f.outcomes[i] as Outcome }]));
  await saveCluster(deps, f.name, (c) => {
    const machines = c.machines.flatMap((e) => {
      const hit = byId.get(e.system_id);
      if (!hit) return [e];
      if (f.dropAccepted && hit.o.ok && hit.o.after && !hit.o.after.owner) return [];
      return [{ ...e, ...f.entryFor(hit.m, hit.o), updated_at: deps.clock.now() }];
    });
    const next = { ...c, machines, action: f.action, operation_id: op?.id ?? c.operation_id };
    return f.update ? f.update(next) : next;
  });
  const failed = f.outcomes.flatMap((o) => (o.ok ? [] : [o.row]));
  ctx.audit.targets = f.outcomes.map((o) =>
    o.ok
      ? {
          system_id: o.row.system_id,
          hostname: o.row.hostname,
          before: o.row.before,
          after: o.row.after,
          outcome: 'done',
        }
      : {
          system_id: o.row.system_id,
          hostname: o.row.hostname,
          before: o.row.status,
          outcome: `failed: ${o.row.error}`,
        },
  );
  ctx.audit.result = failed.length === 0 ? 'ok' : accepted.length > 0 ? 'partial' : 'failed';
  if (op) ctx.audit.operation_id = op.id;

  let note: string | undefined;
  let view: OperationView | undefined;
  if (op && f.wait && op.state === 'running') {
    const waited = waitSeconds({ wait_timeout_s: f.waitTimeoutS }, ctx);
    op = await waitForOperation(deps, op.id, {
      timeoutMs: waited * 1000,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onProgress: (o) => ctx.progress?.(operationProgress(o)),
    });
    note = op.state === 'running' ? stillGoing(op.id, waited, f.waitTimeoutS ?? 45) : describeOperation(op);
  }
  if (op && (f.wait || op.state !== 'running')) view = operationView(op);
  // The record as MAAS now has it (a finished delete removes it).
  const rec =
    op && !isLive(op)
      ? await reconcileCluster(deps, f.name, await heldMachines(deps, ctx.signal), ctx.signal)
      : await deps.store.getCluster(f.name);
  const summary = `${f.summary}: ${accepted.length} of ${f.machines.length} ${f.judgeAs === 'deploy' ? 'deploying' : 'releasing'}${failed.length ? `, ${failed.length} refused by MAAS` : ''}`;
  ctx.audit.detail = summary;
  return {
    status: 'done',
    action: toolOf(f.action).replace('_', ' '),
    summary,
    cluster: rec ? clusterView(rec, isLive(op)) : null,
    failed,
    ...(note ? { note } : {}),
    ...(op ? { operation_id: op.id } : {}),
    ...(view ? { operation: view } : {}),
  };
}

function toolOf(action: ClusterAction): string {
  return action === 'create' ? 'cluster_create' : action === 'delete' ? 'cluster_delete' : 'cluster_scale';
}

/** A machine's entry once MAAS was asked to deploy it. */
export function deployingEntry(m: MachineSummary, o: Outcome): Partial<ClusterMachine> {
  return o.ok
    ? {
        phase: 'deploying',
        status: o.after?.status_name ?? 'Deploying',
        ip_addresses: o.after?.ip_addresses ?? m.ip_addresses,
      }
    : { phase: 'failed', error: o.row.error };
}

/** A machine's entry once MAAS was asked to release it. */
function releasingEntry(_m: MachineSummary, o: Outcome): Partial<ClusterMachine> {
  return o.ok ? { phase: 'releasing' } : { phase: 'failed', error: o.row.error };
}

/**
 * Follows machines given back (a delete, or workers removed): judged as releases (erases with `erase`), each
 * machine's entry going once MAAS accepted its release.
 */
export function followRelease(
  f: Pick<Follow, 'name' | 'action' | 'summary' | 'machines' | 'outcomes'>,
  args: { erase?: boolean; wait?: boolean; wait_timeout_s?: number },
  ctx: RunContext,
): Promise<ClusterOutcome> {
  return followOperation(
    {
      ...f,
      judgeAs: args.erase ? 'erase' : 'release',
      before: (m) => m.status_name,
      entryFor: releasingEntry,
      dropAccepted: true,
      wait: args.wait === true,
      waitTimeoutS: args.wait_timeout_s,
    },
    ctx,
  );
}

/** The answer once its operation has ended (an MCP task's result). */
export function settleClusterOutcome(out: ClusterOutcome, op: Operation): ClusterOutcome {
  return { ...out, note: describeOperation(op), operation: operationView(op) };
}
