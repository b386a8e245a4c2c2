/**
 * The state machine's enforcement point and the timer engine that completes transient statuses (MAAS
 * `maasserver/node_status.py` `NODE_TRANSITIONS`, `maasserver/models/node.py`). Every status change goes through
 * {@link updateStatus}; every timed step through {@link Engine.run}.
 */

import type { Clock, TimerHandle } from './clock.ts';
import { FAILURE_EVENTS, type FailAction, type Faults } from './faults.ts';
import { conflict } from './http.ts';
import {
  type EventLevel,
  MAX_EVENTS_PER_NODE,
  ScriptStatus,
  type SimEvent,
  type SimNode,
  type SimState,
} from './model.ts';
import { canTransition, failureStatusOf, invalidTransitionMessage, S, type Status } from './status.ts';
import { saveOnce, touch } from './tx.ts';

/**
 * `Node.update_status`: rejects an illegal change with the 409 `Invalid transition: A -> B.`, records
 * `previous_status`, and clears the owner when a machine becomes New or Ready (§5.3 invariants).
 */
export function updateStatus(node: SimNode, to: Status): void {
  if (!canTransition(node.status, to)) throw conflict(invalidTransitionMessage(node.status, to));
  touch(node);
  if (node.status !== to) node.previousStatus = node.status;
  node.status = to;
  if (node.kind === 'machine' && (to === S.NEW || to === S.READY)) node.owner = null;
}

/**
 * One timed step; `delayMs` is at `timeScale` 1 and counts from the previous step. `label` names the step (the event
 * it logs) so a test can make the action fail there.
 */
export interface Step {
  delayMs: number;
  run: () => void;
  label?: string;
}

type Lane = 'life' | 'power';

interface Job {
  node: SimNode;
  lane: Lane;
  kind: string;
  steps: Step[];
  index: number;
  handle: TimerHandle | null;
  /** Clock time the armed step is due. */
  dueAt: number;
}

export class Engine {
  private readonly lanes: Record<Lane, Map<string, Job>> = { life: new Map(), power: new Map() };
  private closed = false;

  constructor(
    readonly state: SimState,
    readonly clock: Clock,
    readonly timeScale: number,
    readonly faults: Faults,
  ) {}

  /** Appends an event (ids increase globally); keeps the last {@link MAX_EVENTS_PER_NODE} per node. */
  event(
    node: SimNode,
    type: string,
    opts: { level?: EventLevel; description?: string; user?: string | null } = {},
  ): SimEvent {
    touch(node);
    const ev: SimEvent = {
      id: this.state.nextId('event'),
      level: opts.level ?? 'INFO',
      type,
      description: opts.description ?? '',
      created: this.clock.now(),
      username: opts.user ?? null,
    };
    node.events.push(ev);
    if (node.events.length > MAX_EVENTS_PER_NODE)
      node.events.splice(0, node.events.length - MAX_EVENTS_PER_NODE);
    return ev;
  }

  /** A user request event (`_register_request_event`): DEBUG, hidden at the default INFO level. */
  request(node: SimNode, type: string, user: string, comment?: string): void {
    this.event(node, type, { level: 'DEBUG', user, description: comment ?? '' });
  }

  /**
   * At an action's last step: moves the transient status to its failure status if a failure is armed for this
   * action without a step (`failNext`). Returns true when it failed (the caller then stops).
   */
  failIfArmed(node: SimNode, action: FailAction): boolean {
    const armed = this.faults.takeFailure(node.systemId, action);
    return armed ? this.fail(node, action, armed.message) : false;
  }

  /** MAAS's failure: the failure status, `error_description`, and an ERROR event that becomes `status_message`. */
  private fail(node: SimNode, action: FailAction, message: string | undefined): boolean {
    const to = failureStatusOf(node.status);
    if (to === undefined) return false;
    const { event, message: fallback } = FAILURE_EVENTS[action];
    const text = message ?? fallback;
    updateStatus(node, to);
    node.errorDescription = text;
    this.event(node, event, { level: 'ERROR', description: text });
    return true;
  }

  /** Runs `steps` on the node's lane, replacing whatever that lane was doing. */
  run(node: SimNode, kind: string, steps: Step[], lane: Lane = 'life'): void {
    this.cancel(node, lane);
    const job: Job = { node, lane, kind, steps, index: 0, handle: null, dueAt: 0 };
    this.lanes[lane].set(node.systemId, job);
    this.scheduleNext(job);
  }

  /** What the node's lifecycle lane is doing (e.g. 'deploy'), if anything. */
  activity(node: SimNode): string | undefined {
    return this.lanes.life.get(node.systemId)?.kind;
  }

  cancel(node: SimNode, lane?: Lane): void {
    touch(node);
    for (const l of lane ? [lane] : (['life', 'power'] as const)) {
      this.journal(l, node.systemId);
      const job = this.lanes[l].get(node.systemId);
      if (!job) continue;
      if (job.handle !== null) this.clock.clearTimeout(job.handle);
      job.handle = null;
      this.lanes[l].delete(node.systemId);
    }
  }

  get pending(): number {
    return this.lanes.life.size + this.lanes.power.size;
  }

  /** Runs every pending step (and any they start) to completion now. */
  async settle(): Promise<void> {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const job = first(this.lanes.life) ?? first(this.lanes.power);
      if (!job) return;
      if (job.handle !== null) this.clock.clearTimeout(job.handle);
      job.handle = null;
      while (this.isCurrent(job) && job.index < job.steps.length) this.step(job);
      if (this.isCurrent(job)) this.lanes[job.lane].delete(job.node.systemId);
      await Promise.resolve();
    }
  }

  close(): void {
    this.closed = true;
    for (const lane of Object.values(this.lanes)) {
      for (const job of lane.values()) if (job.handle !== null) this.clock.clearTimeout(job.handle);
      lane.clear();
    }
  }

  /**
   * Inside a request, remembers what the lane was doing before its first change, so a rolled-back request puts
   * the job back with its timer re-armed for the time it had left (tx.ts).
   */
  private journal(lane: Lane, systemId: string): void {
    const jobs = this.lanes[lane];
    saveOnce(jobs, systemId, () => {
      const before = jobs.get(systemId);
      const armed = before?.handle != null;
      return () => {
        const now = jobs.get(systemId);
        if (now && now !== before && now.handle !== null) this.clock.clearTimeout(now.handle);
        if (!before) {
          jobs.delete(systemId);
          return;
        }
        jobs.set(systemId, before);
        if (armed && before.handle === null) this.arm(before, Math.max(0, before.dueAt - this.clock.now()));
      };
    });
  }

  private isCurrent(job: Job): boolean {
    return this.lanes[job.lane].get(job.node.systemId) === job;
  }

  private scheduleNext(job: Job): void {
    const next = job.steps[job.index];
    if (!next) {
      this.lanes[job.lane].delete(job.node.systemId);
      return;
    }
    this.arm(job, next.delayMs * this.timeScale);
  }

  private arm(job: Job, delayMs: number): void {
    if (this.closed) return;
    job.dueAt = this.clock.now() + delayMs;
    job.handle = this.clock.setTimeout(() => {
      job.handle = null;
      if (!this.isCurrent(job)) return;
      this.step(job);
      if (this.isCurrent(job)) this.scheduleNext(job);
    }, delayMs);
  }

  private step(job: Job): void {
    const step = job.steps[job.index++];
    if (!step) return;
    // A step can find the machine changed under it (a test hook, a DELETE); the rest of the job is then moot.
    try {
      if (!this.state.nodes.has(job.node.systemId)) throw new Error('node deleted');
      const action = job.kind as FailAction;
      const armed =
        step.label && action in FAILURE_EVENTS
          ? this.faults.takeFailure(job.node.systemId, action, step.label)
          : null;
      if (armed && this.fail(job.node, action, armed.message)) {
        if (action === 'commission') job.node.scripts.commissioning = ScriptStatus.FAILED;
        if (action === 'test') job.node.scripts.testing = ScriptStatus.FAILED;
        if (action === 'commission' || action === 'erase') setPowerOff(this, job.node);
        this.lanes[job.lane].delete(job.node.systemId);
        return;
      }
      step.run();
    } catch {
      if (this.isCurrent(job)) this.lanes[job.lane].delete(job.node.systemId);
    }
  }
}

function first<V>(map: Map<string, V>): V | undefined {
  for (const v of map.values()) return v;
  return undefined;
}

/** A failed commissioning or erase leaves the machine powered off, as their last steps do. */
function setPowerOff(engine: Engine, node: SimNode): void {
  if (node.powerType === 'manual' || node.powerState === 'off') return;
  node.powerState = 'off';
  engine.event(node, 'Node powered off', { level: 'DEBUG' });
}
