/**
 * A workflow run in the store: an operation of kind `workflow` with one target per host and, beside it, each
 * host's step records (README "Workflows"). Whoever runs it holds a lease on it; every change is written step by
 * step (before a write to MAAS, so that a restart knows it was asked for), and small changes (MAAS's status
 * messages) are gathered into one write. A cancellation or a takeover made elsewhere is noticed at the next write.
 */
import type { TimerHandle } from '../../base/clock.ts';
import type { MachineSummary } from '../../maas/schemas.ts';
import type {
  NotifyTarget,
  Operation,
  OperationTarget,
  Requester,
  WorkflowRecord,
  WorkflowStep,
} from '../../store/types.ts';
import type { Deps } from '../deps.ts';
import { newOperationId, storeStarted } from '../operations/service.ts';
import type { Action } from './format.ts';
import type { HostPlan, WorkflowPlan } from './plan.ts';

/** How long a lease lasts unless renewed (it is renewed every third of it). */
export const LEASE_MS = 30_000;

/**
 * How long a step waits for MAAS unless the file says (seconds). Here, not with the steps, so reading a run (the
 * status page, also on a Worker) does not load the step table.
 */
export const DEFAULT_TIMEOUT_S = { commission: 1200, deploy: 1800, release: 1800 } as const;

/** How long small changes (status messages) wait to be written together. */
const GATHER_MS = 1_000;
const FINISHED_STEP: ReadonlySet<WorkflowStep['state']> = new Set(['done', 'skipped', 'unsupported']);

export function isFinishedStep(s: Pick<WorkflowStep, 'state'>): boolean {
  return FINISHED_STEP.has(s.state);
}

export interface NewRun {
  id?: string | undefined;
  plan: WorkflowPlan;
  record: Omit<WorkflowRecord, 'hosts' | 'lease' | 'continued_from'>;
  requester: Requester;
  notify: NotifyTarget[];
  /** The hosts' machines as the preview read them (by hostname), when known. */
  known: ReadonlyMap<string, MachineSummary>;
  holder: string;
  /** The run it carries on from: its hosts' finished steps are kept, not repeated. */
  previous?: Operation | undefined;
}

/** Creates a run's operation, leased to `holder` (or turns the operation held for approval into it). */
export async function createRun(deps: Deps, n: NewRun): Promise<Operation> {
  const now = deps.clock.now();
  const targets: OperationTarget[] = [];
  const hosts: WorkflowRecord['hosts'] = [];
  for (const h of n.plan.hosts) {
    const m = n.known.get(h.hostname.toLowerCase());
    const before = n.previous ? carried(n.previous, h) : undefined;
    hosts.push({ hostname: h.hostname, steps: before?.steps ?? h.steps.map(freshStep) });
    targets.push({
      system_id: before?.target.system_id || m?.system_id || '',
      hostname: h.hostname,
      start_status: m?.status_name ?? 'not in MAAS',
      status: m?.status_name ?? before?.target.status ?? 'not in MAAS',
      status_code: m?.status ?? before?.target.status_code ?? -1,
      status_message: m?.status_message ?? '',
      power_state: m?.power_state ?? 'unknown',
      result: before?.done ? 'succeeded' : 'pending',
      history: [],
      finished_at: before?.done ? now : null,
    });
  }
  const op: Operation = {
    id: n.id ?? newOperationId(),
    kind: 'workflow',
    tool: 'workflow_run',
    state: 'running',
    targets,
    requester: n.requester,
    notify: n.notify,
    created_at: now,
    updated_at: now,
    deadline_at: now + deadlineMs(deps, n.plan.hosts),
    finished_at: null,
    next_poll_at: now,
    notice_sent_at: null,
    summary: `workflow ${n.plan.steps.join(' → ')} on ${plural(n.plan.hosts.length, 'host')}`.slice(0, 300),
    pending_call: null,
    version: 0,
    workflow: {
      ...n.record,
      ...(n.previous ? { continued_from: n.previous.id } : {}),
      lease: { holder: n.holder, until: now + LEASE_MS },
      hosts,
    },
  };
  if (targets.every((t) => t.result !== 'pending')) {
    op.state = 'succeeded';
    op.finished_at = now;
    op.workflow = { ...(op.workflow as WorkflowRecord), lease: null };
  }
  return storeStarted(deps, op);
}

function freshStep(action: Action): WorkflowStep {
  return { action, state: 'pending', started_at: null, finished_at: null, attempts: 0 };
}

/** A host's record carried over from an earlier run of the same plan: its finished steps kept. */
function carried(previous: Operation, h: HostPlan) {
  const i = previous.targets.findIndex((t) => t.hostname === h.hostname);
  const old = previous.workflow?.hosts[i];
  const target = previous.targets[i];
  if (!old || !target) return undefined;
  let going = true;
  const steps = h.steps.map((action, k) => {
    const s = old.steps[k];
    if (going && s && s.action === action && isFinishedStep(s)) {
      return { ...s, note: `${s.note ?? s.state} (in run ${previous.id})` };
    }
    going = false;
    return freshStep(action);
  });
  const done = steps.every(isFinishedStep);
  return { steps, target, done };
}

/** The run's deadline: its slowest host's steps at their timeouts, with 5 minutes for each quick step. */
function deadlineMs(deps: Deps, hosts: readonly HostPlan[]): number {
  const perHost = hosts.map((h) =>
    h.steps.reduce((sum, a) => {
      const s = h.spec;
      if (a === 'commission') return sum + (s.commission_timeout ?? DEFAULT_TIMEOUT_S.commission);
      if (a === 'deploy') return sum + (s.deploy_timeout ?? DEFAULT_TIMEOUT_S.deploy);
      if (a === 'release')
        return sum + (s.release?.release_timeout ?? s.release_timeout ?? DEFAULT_TIMEOUT_S.release);
      return sum + 300;
    }, 0),
  );
  const cap = deps.config.deadlinesMin.workflow * 60_000;
  return Math.min(cap, Math.max(60, ...perHost) * 1000);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The live copy of a run and the one writer of it in this process: {@link save} writes every change made so far
 * (calls made while a write is under way share the next one); {@link touch} gathers small changes for a second.
 */
export class RunRecord {
  /** Someone else took the run over (a newer lease): this process must stop running it. */
  lost = false;
  /** It was cancelled elsewhere (workflow_cancel, operation_cancel, a task's cancellation). */
  cancelled = false;
  private queued: Promise<void> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly deps: Deps,
    readonly op: Operation,
    private readonly holder: string,
    private readonly onChange: (why: 'cancelled' | 'lost') => void,
  ) {}

  get workflow(): WorkflowRecord {
    return this.op.workflow as WorkflowRecord;
  }

  /** Writes every change made so far; resolves once it is stored. */
  save(): Promise<void> {
    if (this.timer !== undefined) {
      this.deps.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.queued) {
      const next = this.chain.then(() => {
        this.queued = undefined;
        return this.write();
      });
      this.queued = next;
      this.chain = next.catch(() => undefined);
    }
    return this.queued;
  }

  /** Writes soon, with whatever else changes meanwhile (for changes a restart can do without). */
  touch(): void {
    if (this.timer !== undefined || this.queued) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.save().catch((err) =>
        this.deps.log.warn('could not save a workflow run', { id: this.op.id, error: err }),
      );
    }, GATHER_MS);
  }

  /** Renews the lease (the next write stores it). */
  renew(): void {
    const now = this.deps.clock.now();
    this.workflow.lease = { holder: this.holder, until: now + LEASE_MS };
  }

  /** Stops pending gathered writes (the run is over, or this process stops). */
  close(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async write(): Promise<void> {
    if (this.lost) return;
    const { store, clock, notify } = this.deps;
    for (let attempt = 0; attempt < 5; attempt++) {
      this.op.updated_at = clock.now();
      const saved = await store.updateOperation(this.op);
      if (saved) {
        this.op.version = saved.version;
        await notify.progress(saved);
        return;
      }
      const now = await store.getOperation(this.op.id);
      if (!now) {
        this.lost = true;
        this.onChange('lost');
        return;
      }
      const lease = now.workflow?.lease;
      if (lease && lease.holder !== this.holder) {
        this.lost = true;
        this.onChange('lost');
        return;
      }
      this.op.version = now.version;
      this.op.notice_sent_at = now.notice_sent_at;
      if (now.state === 'cancelled' && this.op.state !== 'cancelled') this.adoptCancel(now);
    }
    throw new Error(`workflow run ${this.op.id} kept changing while it was being saved`);
  }

  /** Takes on a cancellation made elsewhere: its state, its summary and which hosts it stopped. */
  private adoptCancel(now: Operation): void {
    this.cancelled = true;
    this.op.state = 'cancelled';
    this.op.summary = now.summary;
    this.op.finished_at = now.finished_at;
    now.targets.forEach((t, i) => {
      const mine = this.op.targets[i];
      if (mine && mine.result === 'pending' && t.result === 'cancelled') {
        mine.result = 'cancelled';
        mine.finished_at = t.finished_at;
        if (t.error) mine.error = t.error;
      }
    });
    this.onChange('cancelled');
  }
}

/**
 * Takes a run over for `holder` — a run left running by a process that died, or whose lease ran out — and answers
 * it as stored, or undefined when someone else holds it (or took it first). `alive` says whether a holder's process
 * still runs, when this process can tell (same machine): a dead one's lease is not waited out.
 */
export async function claimRun(
  deps: Deps,
  op: Operation,
  holder: string,
  alive: (holder: string) => boolean | undefined,
): Promise<Operation | undefined> {
  const wf = op.workflow;
  if (!wf || op.state !== 'running') return undefined;
  const now = deps.clock.now();
  const lease = wf.lease;
  if (lease && lease.holder !== holder && lease.until > now && alive(lease.holder) !== false)
    return undefined;
  return deps.store.updateOperation({
    ...op,
    updated_at: now,
    workflow: { ...wf, lease: { holder, until: now + LEASE_MS } },
  });
}

/** Whether a run is being run right now (its lease holds) by someone who, as far as can be told, is alive. */
export function isRunning(
  op: Operation,
  now: number,
  alive: (holder: string) => boolean | undefined,
): boolean {
  const lease = op.workflow?.lease;
  return op.state === 'running' && !!lease && lease.until > now && alive(lease.holder) !== false;
}
