/**
 * What is under way: running operations with a progress bar per machine and MAAS's status message, the operations
 * that ended lately, and workflow runs host by host.
 */
import { judgedAs, kindLabel, successWord } from '../../core/operations/kinds.ts';
import { targetProgress } from '../../core/operations/progress.ts';
import { workflowView } from '../../core/workflows/view.ts';
import type { Operation } from '../../store/types.ts';
import { clockTime, defineSection, type PageContext, plural } from '../section.ts';

/** Machines listed per operation; the rest are counted. */
const TARGETS_SHOWN = 100;
/** How long a finished operation stays in view. */
const RECENT_MS = 30 * 60_000;

function counted(op: Operation): string {
  const n = (r: string) => op.targets.filter((t) => t.result === r).length;
  const parts = [`${n('succeeded')} of ${op.targets.length} ${successWord(judgedAs(op))}`];
  if (n('failed')) parts.push(`${n('failed')} failed`);
  if (n('timed_out')) parts.push(`${n('timed_out')} timed out`);
  if (n('pending')) parts.push(`${n('pending')} going`);
  return parts.join(', ');
}

/** One machine's row: its name, a labelled progress bar, where it stands, and MAAS's message (or reason). */
export function Row(p: {
  id: string;
  host: string;
  result: string;
  value: number;
  state: string;
  message: string;
}) {
  return (
    <li class={`r-${p.result}`} data-id={p.id}>
      <span class="host">{p.host}</span>
      <progress max={100} value={p.value} aria-label={`${p.host} progress`}>
        {p.value}%
      </progress>
      <span class="st">{p.state}</span>
      <span class="msg">{p.message}</span>
    </li>
  );
}

function Targets({ op }: { op: Operation }) {
  const shown = op.targets.slice(0, TARGETS_SHOWN);
  return (
    <>
      <ul class="targets">
        {shown.map((t) => (
          <Row
            id={t.system_id}
            host={t.hostname}
            result={t.result}
            value={targetProgress(judgedAs(op), t)}
            state={`${t.status}${t.result === 'pending' ? '' : ` (${t.result.replace('_', ' ')})`}`}
            message={t.error ?? (t.status_message === t.status ? '' : t.status_message)}
          />
        ))}
      </ul>
      {op.targets.length > shown.length ? (
        <p>and {plural(op.targets.length - shown.length, 'more machine')}.</p>
      ) : null}
    </>
  );
}

function OperationItem({ op }: { op: Operation }) {
  return (
    <li class={`op s-${op.state}`} id={`op-${op.id}`}>
      <h3>
        {kindLabel(op.kind)} · {op.summary}
      </h3>
      <p class="meta">
        {op.id} · {op.state.replace('_', ' ')} · {counted(op)} · asked by {op.requester.principal} (
        {op.requester.via}) at {clockTime(op.created_at)}
      </p>
      <Targets op={op} />
    </li>
  );
}

export const operations = defineSection({
  id: 'operations',
  title: 'Operations',
  async load(ctx: PageContext) {
    const now = ctx.deps.clock.now();
    const running = (await ctx.deps.store.runningOperations()).filter((o) => o.kind !== 'workflow');
    const recent = (
      await ctx.deps.store.listOperations({
        state: ['succeeded', 'failed', 'partial', 'timed_out', 'cancelled'],
        limit: 20,
      })
    ).filter((o) => o.kind !== 'workflow' && (o.finished_at ?? 0) >= now - RECENT_MS && o.targets.length > 0);
    return { running: running.slice(0, 20), recent: recent.slice(0, 5) };
  },
  render: (d) => (
    <>
      {d.running.length === 0 ? <p>No operation is running.</p> : null}
      <ul class="ops">
        {d.running.map((op) => (
          <OperationItem op={op} />
        ))}
      </ul>
      {d.recent.length ? (
        <>
          <h3 class="sub">Finished lately</h3>
          <ul class="ops">
            {d.recent.map((op) => (
              <OperationItem op={op} />
            ))}
          </ul>
        </>
      ) : null}
    </>
  ),
  summary: (d) =>
    [
      plural(d.running.length, 'operation') + ' running',
      ...d.running.map((op) => `${kindLabel(op.kind)}: ${counted(op)}`),
    ].join('; '),
});

export const workflows = defineSection({
  id: 'workflows',
  title: 'Workflows',
  async load(ctx: PageContext) {
    const runs = await ctx.deps.store.listOperations({ kind: ['workflow'], limit: 5 });
    return runs.filter(
      (r) => r.state === 'running' || r.state === 'awaiting_approval' || r.finished_at !== null,
    );
  },
  render: (runs) =>
    runs.length === 0 ? (
      <p>No workflow has run lately.</p>
    ) : (
      <ul class="ops">
        {runs.map((op) => {
          const v = workflowView(op, op.state === 'running', false);
          return (
            <li class={`op s-${op.state}`} id={`op-${op.id}`}>
              <h3>workflow · {op.summary}</h3>
              <p class="meta">
                {op.id} · {op.state.replace('_', ' ')} · {v.counts.succeeded} of {v.counts.total} hosts done
                {v.counts.failed ? `, ${v.counts.failed} failed` : ''} · asked by {op.requester.principal}
              </p>
              <ul class="targets">
                {v.hosts.slice(0, TARGETS_SHOWN).map((h) => (
                  <Row
                    id={h.system_id}
                    host={h.hostname}
                    result={h.result}
                    value={h.total ? Math.round((h.done / h.total) * 100) : h.result === 'pending' ? 0 : 100}
                    state={h.step ? `${h.step} (${h.done} of ${h.total} steps)` : h.result.replace('_', ' ')}
                    message={h.error ?? (h.message === h.status ? '' : h.message)}
                  />
                ))}
              </ul>
            </li>
          );
        })}
      </ul>
    ),
  summary: (runs) => runs.map((r) => `workflow ${r.id} ${r.state}`).join('; '),
});
