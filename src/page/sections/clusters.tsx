/**
 * Kubernetes clusters (README "Kubernetes clusters"): each cluster's state and endpoint, its machines by role with a
 * progress bar each (allocated, deploying as MAAS reports it, deployed), what went wrong with the next step, and
 * machines MAAS shows held for a cluster that its record does not list (leaks). Read from the cluster records as
 * the reconciler last saw them; never a secret (the view carries none: no CA key, token, kubeconfig or user data).
 */
import { isLive } from '../../core/clusters/reconcile.ts';
import { type ClusterMachineView, type ClusterView, clusterView } from '../../core/clusters/view.ts';
import { targetProgress } from '../../core/operations/progress.ts';
import type { Operation } from '../../store/types.ts';
import { defineSection, type PageContext, plural } from '../section.ts';
import { Row } from './operations.tsx';

/** Clusters shown in full; the rest are counted. */
const CLUSTERS_SHOWN = 20;

const ROLES = [
  ['control-plane', 'Control plane'],
  ['worker', 'Workers'],
] as const;

interface Shown {
  view: ClusterView;
  /** The cluster's operation while it runs (deploying or releasing machines), for each machine's progress. */
  op: Operation | undefined;
}

/** Where one machine stands, 0–100, and how its row is coloured. */
function progressOf(m: ClusterMachineView, op: Operation | undefined): { value: number; result: string } {
  if (m.phase === 'deployed') return { value: 100, result: 'succeeded' };
  if (m.phase === 'failed') return { value: 100, result: 'failed' };
  if (m.phase === 'allocated') return { value: 5, result: 'pending' };
  const t = op?.targets.find((x) => x.system_id === m.system_id);
  return { value: t ? targetProgress(op?.judge_as ?? 'deploy', t) : 5, result: 'pending' };
}

function Cluster({ view: c, op }: Shown) {
  return (
    <li class={`op cl-${c.state}`} id={`cl-${c.name}`}>
      <h3>
        cluster {c.name} · {c.state.replace('_', ' ')} · {c.shape}
      </h3>
      <p class="meta">
        Kubernetes {c.kubernetes_version} on {c.distro_series} · {c.endpoint ?? 'no endpoint yet'} · created
        by {c.created_by}
        {c.operation_id ? ` · ${c.operation_id}` : ''}
      </p>
      {ROLES.map(([role, label]) => {
        const ms = c.machines.filter((m) => m.role === role);
        return ms.length ? (
          <>
            <h4 class="sub">
              {label} ({ms.length})
            </h4>
            <ul class="targets">
              {ms.map((m) => {
                const p = progressOf(m, op);
                return (
                  <Row
                    id={m.system_id}
                    host={m.hostname}
                    result={p.result}
                    value={p.value}
                    state={`${m.phase} (${m.status})`}
                    message={m.note ?? m.ip_addresses.join(', ')}
                  />
                );
              })}
            </ul>
          </>
        ) : null;
      })}
      {c.problems.length ? (
        <ul class="problems">
          {c.problems.map((p) => (
            <li>{p}</li>
          ))}
        </ul>
      ) : null}
      {c.leaks.length ? (
        <>
          <h4 class="sub bad">Leaked: held for this cluster, not in its record ({c.leaks.length})</h4>
          <ul class="leaks">
            {c.leaks.map((l) => (
              <li class="r-failed" data-id={l.system_id}>
                <strong>{l.hostname}</strong> · {l.status} · {l.why} · fix: {l.fix}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </li>
  );
}

export const clusters = defineSection({
  id: 'clusters',
  title: 'Kubernetes clusters',
  /** Where the clusters toolset is on. */
  shows: (ctx: PageContext) => ctx.deps.config.toolsets.has('clusters'),
  async load(ctx: PageContext) {
    const records = await ctx.deps.store.listClusters();
    const shown = await Promise.all(
      records.slice(0, CLUSTERS_SHOWN).map(async (r): Promise<Shown> => {
        const found = r.operation_id ? await ctx.deps.store.getOperation(r.operation_id) : undefined;
        const op = isLive(found) ? found : undefined;
        return { view: clusterView(r, op !== undefined), op };
      }),
    );
    return { shown, more: records.length - shown.length };
  },
  render: (d) => (
    <>
      {d.shown.length === 0 ? <p>No cluster.</p> : null}
      <ul class="ops">
        {d.shown.map((s) => (
          <Cluster {...s} />
        ))}
      </ul>
      {d.more > 0 ? <p>and {plural(d.more, 'more cluster')}.</p> : null}
    </>
  ),
  summary: (d) =>
    [
      plural(d.shown.length + d.more, 'cluster'),
      ...d.shown.map(
        (s) =>
          `${s.view.name} ${s.view.state.replace('_', ' ')}` +
          (s.view.leaks.length ? `, ${plural(s.view.leaks.length, 'leaked machine')}` : ''),
      ),
    ].join('; '),
});
