/**
 * Operations (README "Long operations"): a long MAAS action on one or more machines, tracked until every machine has
 * succeeded, failed or run out of time. Created right after MAAS accepted the action; advanced by the poller.
 */
import type { TimerHandle } from '../../base/clock.ts';
import { randomId } from '../../base/ids.ts';
import type { MachineSummary } from '../../maas/schemas.ts';
import {
  FINAL_STATES,
  type NotifyTarget,
  type Operation,
  type OperationKind,
  type OperationState,
  type OperationTarget,
  type Requester,
} from '../../store/types.ts';
import type { Deps, Progress } from '../deps.ts';
import { deliverNotice } from './delivery.ts';
import { judge, successWord } from './kinds.ts';
import { describeOperation } from './view.ts';

const HISTORY_MAX = 50;

export interface StartOptions {
  kind: OperationKind;
  tool: string;
  summary: string;
  /** The machines as MAAS answered right after accepting the action. */
  machines: readonly MachineSummary[];
  /** Each machine's status label before the action (system_id → label). */
  before: ReadonlyMap<string, string>;
  requester: Requester;
  notify?: NotifyTarget[];
  /** A preset id (an MCP task's id, or an operation that was awaiting approval), else a new one. */
  id?: string;
  /** How long it may run, in ms; default the kind's deadline (MAAS_MCP_DEADLINES). */
  timeoutMs?: number;
  /** The kind whose rules judge its machines, when not its own (a cluster operation deploys or releases). */
  judgeAs?: OperationKind;
  /** The operation it is a step of (a workflow run), which announces the outcome: this one sends no notice. */
  partOf?: string;
  /**
   * When it is already over at creation: send the notice anyway (the requester is not the caller, e.g. an agent
   * waiting on an approval). By default the caller has the outcome and no notice follows.
   */
  announce?: boolean;
}

export function newOperationId(): string {
  return randomId('op');
}

export async function startOperation(deps: Deps, o: StartOptions): Promise<Operation> {
  const now = deps.clock.now();
  const targets: OperationTarget[] = o.machines.map((m) => {
    const t: OperationTarget = {
      system_id: m.system_id,
      hostname: m.hostname,
      start_status: o.before.get(m.system_id) ?? m.status_name,
      status: m.status_name,
      status_code: m.status,
      status_message: m.status_message,
      power_state: m.power_state,
      result: 'pending',
      history: [{ at: now, status: m.status_name, message: m.status_message }],
      finished_at: null,
    };
    settleTarget(o.judgeAs ?? o.kind, t, m, now);
    return t;
  });
  const op: Operation = {
    id: o.id ?? newOperationId(),
    kind: o.kind,
    ...(o.judgeAs ? { judge_as: o.judgeAs } : {}),
    tool: o.tool,
    state: 'running',
    targets,
    requester: o.requester,
    notify: o.notify ?? [],
    created_at: now,
    updated_at: now,
    deadline_at: now + (o.timeoutMs ?? deps.config.deadlinesMin[o.kind] * 60_000),
    finished_at: null,
    next_poll_at: now,
    notice_sent_at: o.partOf ? now : null,
    summary: o.partOf ? `${o.summary} (a step of ${o.partOf})`.slice(0, 300) : o.summary,
    pending_call: null,
    version: 0,
  };
  op.state = overallState(op);
  if (FINAL_STATES.has(op.state)) {
    op.finished_at = now;
    // Finished the moment MAAS answered (e.g. releasing a machine that was off): the caller already has the
    // outcome, so no notice follows — unless someone else is waiting for one.
    if (!o.announce) op.notice_sent_at = now;
  }
  Object.assign(op, await storeStarted(deps, op));
  if (op.state === 'running') deps.kickPoller();
  if (FINAL_STATES.has(op.state) && o.announce) await deliverNotice(deps, op);
  return op;
}

/**
 * Stores an operation that starts now: a new one, or — when a call with its id was held for a person's approval —
 * that same operation, now running (keeping when and by whom it was asked, and where to tell them).
 */
export async function storeStarted(deps: Deps, op: Operation): Promise<Operation> {
  const held = await deps.store.getOperation(op.id);
  if (held?.state !== 'awaiting_approval') {
    await deps.store.createOperation(op);
    return op;
  }
  const saved = await deps.store.updateOperation({
    ...op,
    version: held.version,
    created_at: held.created_at,
    notify: held.notify,
    requester: held.requester,
  });
  if (!saved) throw new Error(`operation ${op.id} changed while it was being started`);
  return saved;
}

/** Applies a fresh read of a machine to a target; true when anything a person would care about changed. */
export function updateTarget(
  kind: OperationKind,
  t: OperationTarget,
  m: MachineSummary,
  now: number,
): boolean {
  if (t.result !== 'pending') return false;
  const changed =
    t.status_code !== m.status || t.status_message !== m.status_message || t.power_state !== m.power_state;
  t.status = m.status_name;
  t.status_code = m.status;
  t.status_message = m.status_message;
  t.power_state = m.power_state;
  if (changed) {
    t.history.push({ at: now, status: m.status_name, message: m.status_message });
    if (t.history.length > HISTORY_MAX) t.history.splice(1, t.history.length - HISTORY_MAX);
  }
  settleTarget(kind, t, m, now);
  return changed || t.result !== 'pending';
}

function settleTarget(kind: OperationKind, t: OperationTarget, m: MachineSummary, now: number): void {
  const verdict = judge(kind, m);
  if (verdict === 'pending') return;
  t.result = verdict;
  t.finished_at = now;
  if (verdict === 'failed') {
    t.error =
      m.error_description || m.status_message || `it ended ${m.status_name}, not ${successWord(kind)}`;
  }
}

/** The operation's state from its targets' results. */
export function overallState(op: Pick<Operation, 'targets' | 'state'>): OperationState {
  if (op.state === 'awaiting_approval' || op.state === 'cancelled') return op.state;
  const r = op.targets.map((t) => t.result);
  if (r.length === 0 || r.includes('pending')) return 'running';
  if (r.includes('timed_out')) return 'timed_out';
  if (r.every((x) => x === 'succeeded')) return 'succeeded';
  if (r.every((x) => x === 'failed' || x === 'cancelled')) return 'failed';
  return 'partial';
}

/** Marks what is still pending at the deadline as timed out (`why`: what else to say, e.g. MAAS was down). */
export function expire(op: Operation, now: number, why?: string): void {
  for (const t of op.targets) {
    if (t.result !== 'pending') continue;
    t.result = 'timed_out';
    t.finished_at = now;
    const last = `${t.status}${t.status_message ? ` (${t.status_message})` : ''}`;
    t.error = why ? `last seen ${last}; ${why}` : `still ${last} at the deadline`;
  }
}

/**
 * Tells listeners that an operation ended: its last progress (a Slack message edits itself), then its completion
 * notice — leased in the store, so only one process sends it at a time, and retried until delivered. True when
 * this call took the notice on (delivered, or retrying).
 */
export async function announceEnd(deps: Deps, op: Operation): Promise<boolean> {
  await deps.notify.progress(op);
  return (await deliverNotice(deps, op)) !== 'elsewhere';
}

/**
 * Cancels an operation as it was read (compare-and-swap on its version): its unfinished machines are marked
 * cancelled — with `why.error`, when given — a call held for approval is dropped, and listeners hear of it.
 * Undefined when someone changed the operation first.
 */
export async function cancelOperation(
  deps: Deps,
  op: Operation,
  why?: { error: string; summary: string },
): Promise<{ op: Operation; announced: boolean } | undefined> {
  const now = deps.clock.now();
  const targets = op.targets.map((t) =>
    t.result === 'pending'
      ? { ...t, result: 'cancelled' as const, finished_at: now, ...(why ? { error: why.error } : {}) }
      : t,
  );
  const saved = await deps.store.updateOperation({
    ...op,
    targets,
    state: 'cancelled',
    pending_call: null,
    finished_at: now,
    updated_at: now,
    ...(why ? { summary: `${op.summary} — ${why.summary}` } : {}),
  });
  if (!saved) return undefined;
  return { op: saved, announced: await announceEnd(deps, saved) };
}

/**
 * Cancels operation `id` if `may` allows it, re-reading and trying again when the poller updated it first.
 * Answers the operation as it ends up (cancelled, or as it was when `may` said no), undefined when there is no
 * such operation, null when it kept changing.
 */
export async function cancelById(
  deps: Deps,
  id: string,
  may: (op: Operation) => boolean,
): Promise<Operation | undefined | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const op = await deps.store.getOperation(id);
    if (!op || !may(op)) return op;
    const done = await cancelOperation(deps, op);
    if (done) return done.op;
  }
  return null;
}

/**
 * Where an operation stands, as a progress report (MCP progress notifications, a Slack message): how many of its
 * machines finished, and what the first one still going is doing.
 */
export function operationProgress(op: Operation): Progress {
  const finished = op.targets.filter((t) => t.result !== 'pending').length;
  const moving = op.state === 'running' ? op.targets.find((t) => t.result === 'pending') : undefined;
  const now = moving
    ? `; ${moving.hostname} ${moving.status}${moving.status_message ? `: ${moving.status_message}` : ''}`
    : '';
  return { progress: finished, total: op.targets.length, message: `${describeOperation(op)}${now}` };
}

/** How often a waiting call re-reads its operation, for when the poller runs elsewhere (a Durable Object). */
const WAIT_REREAD_MS = 2_000;

/**
 * Waits until an operation finishes or `timeoutMs` passes, reporting progress on every change; returns the
 * operation as last seen. Changes arrive from the poller through the notifier hub when it runs in this process,
 * and from re-reading the store when it runs elsewhere.
 */
export async function waitForOperation(
  deps: Deps,
  id: string,
  opts: { timeoutMs: number; signal?: AbortSignal; onProgress?: (op: Operation) => void },
): Promise<Operation> {
  let latest = await deps.store.getOperation(id);
  if (!latest || !['running', 'awaiting_approval'].includes(latest.state)) return latest as Operation;
  deps.kickPoller();
  return new Promise<Operation>((resolve) => {
    let done = false;
    let reread: TimerHandle | undefined;
    const seen = (op: Operation) => {
      if (done || op.id !== id) return;
      // A re-read that started before news arrived answers an older version: progress never goes back.
      if (latest && op.version < latest.version) return;
      if (
        latest &&
        op.updated_at === latest.updated_at &&
        op.state === latest.state &&
        op.version === latest.version
      )
        return;
      latest = op;
      opts.onProgress?.(op);
      if (FINAL_STATES.has(op.state)) finish();
    };
    const finish = () => {
      if (done) return;
      done = true;
      unsubscribe();
      deps.clock.clearTimeout(timer);
      if (reread !== undefined) deps.clock.clearTimeout(reread);
      opts.signal?.removeEventListener('abort', finish);
      resolve(latest as Operation);
    };
    const poll = () => {
      reread = deps.clock.setTimeout(() => {
        void deps.store.getOperation(id).then(
          (op) => {
            if (op) seen(op);
            if (!done) poll();
          },
          () => {
            if (!done) poll();
          },
        );
      }, WAIT_REREAD_MS);
    };
    const unsubscribe = deps.notify.subscribe({ progress: seen });
    const timer = deps.clock.setTimeout(finish, opts.timeoutMs);
    opts.signal?.addEventListener('abort', finish, { once: true });
    poll();
  });
}
