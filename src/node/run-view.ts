/**
 * How `maas-mcp run` shows a run (README "Workflows"): in a terminal, a live view with one line per host — the step
 * it is on, MAAS's status message, elapsed time and a bar over its plan — redrawn in place (log-update); elsewhere
 * (a pipe, CI, a log file) timestamped lines like the automation SDK's; then a summary table either way.
 */
import { createLogUpdate } from 'log-update';
import type { WorkflowEvent } from '../core/workflows/engine.ts';
import { describeWorkflow, progressBar, type WorkflowView, workflowView } from '../core/workflows/view.ts';
import type { Operation } from '../store/types.ts';

export interface RunView {
  /** A line that is not about one host (a note, a log line). */
  line(text: string, level?: 'INFO' | 'WARN' | 'ERROR'): void;
  /** The run started (or resumed): what it is about to do. */
  begin(op: Operation): void;
  event(e: WorkflowEvent, op: Operation): void;
  /** The run ended (or this process stops watching it): the summary table. */
  end(op: Operation): void;
}

const RULE = '='.repeat(60);

/** "2025-12-15 10:30:15", local time, as the SDK prints it. */
export function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "4:05", "1:02:09". */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** The banner every view starts with. */
export function header(meta: {
  url: string;
  actions: readonly string[];
  hosts: readonly string[];
  parallel: number;
}): string {
  const hosts =
    meta.hosts.length > 8
      ? `${meta.hosts.slice(0, 8).join(', ')} … (${meta.hosts.length})`
      : meta.hosts.join(', ');
  return [
    RULE,
    'MAAS-MCP WORKFLOW',
    RULE,
    `API URL: ${meta.url}`,
    `Actions: ${meta.actions.join(', ')}`,
    `Hosts: ${hosts} (at most ${meta.parallel} at once)`,
  ].join('\n');
}

/** The final table: host, steps done, result, reason. */
export function summaryTable(v: WorkflowView, width = Number.POSITIVE_INFINITY): string {
  const ok = v.counts.succeeded === v.counts.total;
  const state = v.state === 'running' ? 'stopped (resume it by running the same file again)' : v.state;
  const lines = [
    RULE,
    `${ok ? '✓ Workflow complete' : '✗ Workflow not complete'}: ${v.counts.succeeded} of ${v.counts.total} hosts succeeded (run ${v.id}, ${state})`,
    RULE,
  ];
  const rows = v.hosts.map((h) => [
    h.hostname,
    `${h.done}/${h.total}`,
    h.result,
    h.result === 'succeeded' ? notesOf(h.steps ?? []) : (h.error ?? (h.step ? `at ${h.step}` : '')),
  ]);
  const head = ['HOST', 'STEPS', 'RESULT', 'REASON'];
  const w = [0, 1, 2].map((c) => Math.max(head[c]?.length ?? 0, ...rows.map((r) => (r[c] ?? '').length)));
  const fmt = (r: string[]) =>
    clip(
      `${(r[0] ?? '').padEnd(w[0] ?? 0)}  ${(r[1] ?? '').padEnd(w[1] ?? 0)}  ${(r[2] ?? '').padEnd(w[2] ?? 0)}  ${r[3] ?? ''}`.trimEnd(),
      width,
    );
  lines.push(fmt(head), ...rows.map(fmt));
  return lines.join('\n');
}

/** What a host that succeeded still has to say: steps MAAS could not do. */
function notesOf(steps: readonly { action: string; state: string; note?: string | undefined }[]): string {
  return steps
    .filter((s) => s.state === 'unsupported')
    .map((s) => `${s.action}: not supported by MAAS`)
    .join('; ');
}

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
}

/** Timestamped lines, for a pipe or a log: what each host does, as it happens. */
export function plainView(write: (text: string) => void, now: () => number, verbose: boolean): RunView {
  const say = (text: string, level: 'INFO' | 'WARN' | 'ERROR' = 'INFO') =>
    write(`${stamp(now())} [${level}] ${text}\n`);
  const lastStatus = new Map<string, string>();
  return {
    line: (text, level) => say(text, level),
    begin(op) {
      say(`Run ${op.id}: ${op.summary}`);
    },
    event(e) {
      switch (e.kind) {
        case 'step':
          if (e.state === 'running')
            say(`${e.host}: STEP ${e.action}${e.attempt > 1 ? ` (try ${e.attempt})` : ''}`);
          else if (e.state === 'retrying') say(`${e.host}: ${e.action}: ${e.note ?? ''}`, 'WARN');
          else if (e.state === 'failed') say(`${e.host}: ✗ ${e.action}: ${e.note ?? 'failed'}`, 'ERROR');
          else if (e.state === 'unsupported') say(`${e.host}: ! ${e.action}: ${e.note ?? ''}`, 'WARN');
          else
            say(`${e.host}: ✓ ${e.action}${e.state === 'skipped' ? ' (skipped)' : ''}: ${e.note ?? e.state}`);
          break;
        case 'status': {
          const key = verbose ? `${e.status}|${e.message}` : e.status;
          if (lastStatus.get(e.host) === key) break;
          lastStatus.set(e.host, key);
          say(`${e.host}: State: ${e.status}${e.message && e.message !== e.status ? ` (${e.message})` : ''}`);
          break;
        }
        case 'host':
          if (e.result === 'succeeded') say(`${e.host}: ✓ done`);
          else say(`${e.host}: ✗ ${e.result}${e.note ? `: ${e.note}` : ''}`, 'ERROR');
          break;
        case 'run':
          say(`Run ended: ${e.state}`);
          break;
      }
    },
    end(op) {
      write(`${summaryTable(workflowView(op, false))}\n`);
    },
  };
}

/** The live terminal view: one line per host, redrawn in place; the summary table stays when it ends. */
export function liveView(stream: NodeJS.WriteStream, now: () => number): RunView {
  const draw = createLogUpdate(stream);
  let op: Operation | undefined;
  let timer: NodeJS.Timeout | undefined;
  const render = (last = false) => {
    if (op) draw(frame(op, now(), stream.columns || 100, stream.rows || 40, last));
  };
  return {
    line(text) {
      draw.clear();
      stream.write(`${text}\n`);
      render();
    },
    begin(o) {
      op = o;
      render();
      timer = setInterval(render, 250);
      timer.unref();
    },
    event(_e, o) {
      op = o;
    },
    end(o) {
      if (timer) clearInterval(timer);
      op = o;
      render(true);
      draw.done();
      stream.write(`${summaryTable(workflowView(o, false), stream.columns || Number.POSITIVE_INFINITY)}\n`);
    },
  };
}

/** One screen of the live view: a line per host (the ones going and failed first when they do not all fit). */
export function frame(op: Operation, at: number, columns: number, rows: number, last = false): string {
  const v = workflowView(op, true);
  const width = Math.min(20, Math.max(6, ...v.hosts.map((h) => h.hostname.length)));
  const rank = (r: string) => (r === 'failed' || r === 'timed_out' ? 0 : r === 'pending' ? 1 : 2);
  const order = v.hosts
    .map((h, i) => ({ h, i }))
    .sort((a, b) => rank(a.h.result) - rank(b.h.result) || a.i - b.i);
  const room = Math.max(3, rows - 4);
  const shown = order.length > room ? order.slice(0, room - 1) : order;
  const lines = [clip(describeWorkflow(v), columns)];
  for (const { h, i } of shown.sort((a, b) => a.i - b.i)) {
    const steps = op.workflow?.hosts[i]?.steps ?? [];
    const start = steps.find((s) => s.started_at !== null)?.started_at ?? null;
    const stop = h.result === 'pending' ? at : (op.targets[i]?.finished_at ?? at);
    const time = start === null ? '' : elapsed(stop - start);
    const mark = h.result === 'succeeded' ? '✓' : h.result === 'pending' ? (start === null ? ' ' : '›') : '✗';
    const what =
      h.result === 'pending'
        ? `${(h.step ?? '').padEnd(18)} ${h.status}${h.message && h.message !== h.status ? `: ${h.message}` : ''}`
        : h.result === 'succeeded'
          ? h.status
          : (h.error ?? h.result);
    lines.push(
      clip(
        `${mark} ${h.hostname.padEnd(width)} [${progressBar(h.done, h.total)}] ${`${h.done}/${h.total}`.padStart(5)} ${time.padStart(7)}  ${what}`,
        columns,
      ),
    );
  }
  if (shown.length < order.length) lines.push(`  … and ${order.length - shown.length} more`);
  if (!last)
    lines.push('Ctrl-C pauses the run; run the same command again to resume it where each host stopped.');
  return lines.join('\n');
}
