/**
 * A workflow run as people and programs read it (workflow_get, workflows_list, `maas-mcp run --status`, Slack): each
 * host's result, where it is in its plan, MAAS's status message, and its steps with what each did.
 */
import { progressBar } from '../../base/bar.ts';
import type { Operation } from '../../store/types.ts';
import { isFinishedStep } from './record.ts';
import type { WorkflowHostView, WorkflowView } from './view-schema.ts';

export type { WorkflowHostView, WorkflowView };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The view of a run; `steps`: each host's steps too (one run), or only where it stands (a list). */
export function workflowView(op: Operation, running: boolean, steps = true): WorkflowView {
  const wf = op.workflow;
  const count = (r: string) => op.targets.filter((t) => t.result === r).length;
  return {
    id: op.id,
    state: op.state,
    summary: op.summary,
    requester: `${op.requester.principal} (${op.requester.via})`,
    origin: wf?.origin ?? 'server',
    actions: wf ? stepsOf(wf.hosts[0]?.steps ?? []) : [],
    running: op.state === 'running' && running,
    created_at: iso(op.created_at) as string,
    finished_at: iso(op.finished_at),
    ...(wf?.continued_from ? { continued_from: wf.continued_from } : {}),
    counts: {
      total: op.targets.length,
      succeeded: count('succeeded'),
      failed: count('failed'),
      timed_out: count('timed_out'),
      cancelled: count('cancelled'),
      pending: count('pending'),
    },
    hosts: op.targets.map((t, i) => {
      const all = wf?.hosts[i]?.steps ?? [];
      const current = all.find((s) => !isFinishedStep(s));
      return {
        hostname: t.hostname,
        system_id: t.system_id,
        result: t.result,
        status: t.status,
        message: t.status_message,
        step: current?.action ?? null,
        done: all.filter(isFinishedStep).length,
        total: all.length,
        ...(t.error ? { error: t.error } : {}),
        ...(steps
          ? {
              steps: all.map((s) => ({
                action: s.action,
                state: s.state,
                ...(s.note ? { note: s.note } : {}),
                attempts: s.attempts,
                started_at: iso(s.started_at),
                finished_at: iso(s.finished_at),
              })),
            }
          : {}),
      };
    }),
  };
}

function stepsOf(steps: readonly { action: string }[]): string[] {
  return steps.map((s) => s.action);
}

/** "workflow op_… running: 12 of 40 hosts done, 1 failed (node07: deploy: …), 27 going" */
export function describeWorkflow(v: WorkflowView): string {
  const c = v.counts;
  const parts = [`${c.succeeded} of ${c.total} host${c.total === 1 ? '' : 's'} done`];
  const failed = v.hosts.filter((h) => h.result === 'failed' || h.result === 'timed_out');
  if (failed.length) {
    parts.push(
      `${failed.length} failed (${failed.map((h) => `${h.hostname}: ${h.error ?? h.step}`).join('; ')})`,
    );
  }
  if (c.pending) parts.push(`${c.pending} ${v.running ? 'going' : 'waiting to be resumed'}`);
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  const state = v.state === 'running' && !v.running ? 'interrupted' : v.state;
  return `workflow ${v.id} ${state}: ${parts.join(', ')}`;
}

export { progressBar };

/** One line per host: bar, steps done, where it is, MAAS's word on it. */
export function hostLine(h: WorkflowHostView, width = 12): string {
  const mark =
    h.result === 'succeeded' ? '✓' : h.result === 'pending' ? '…' : h.result === 'cancelled' ? '–' : '✗';
  const where =
    h.result === 'pending'
      ? `${h.step ?? ''}${h.status ? ` · ${h.status}${h.message ? `: ${h.message}` : ''}` : ''}`
      : h.result === 'succeeded'
        ? h.status
        : (h.error ?? h.result);
  return `${mark} ${h.hostname.padEnd(width)} ${progressBar(h.done, h.total)} ${h.done}/${h.total} ${where}`;
}

export function renderWorkflow(v: WorkflowView): string {
  const width = Math.min(24, Math.max(6, ...v.hosts.map((h) => h.hostname.length)));
  const lines = [
    describeWorkflow(v),
    `started ${v.created_at} by ${v.requester}; steps: ${v.actions.join(' → ')}`,
  ];
  for (const h of v.hosts) {
    lines.push(`  ${hostLine(h, width)}`);
    for (const s of h.steps ?? []) {
      if (s.state === 'pending') continue;
      lines.push(`      ${s.action}: ${s.state}${s.note ? ` — ${s.note}` : ''}`);
    }
  }
  if (v.state === 'running' && !v.running) {
    lines.push(
      v.origin === 'cli'
        ? 'Interrupted: run `maas-mcp run FILE` again with the same file to resume it where each host stopped.'
        : 'Interrupted: the server resumes it when it starts again (or call workflow_run with the same workflow).',
    );
  }
  return lines.join('\n');
}
