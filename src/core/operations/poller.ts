/**
 * The poller: one per process (Node) or per Durable Object (Workers). Each tick reads every machine of every
 * running operation with batched `GET /machines/?id=…` (at most 100 ids a request, never one request per
 * machine), reads the newest events in one batched query when something failed, advances the operations, and
 * delivers each completion notice (at least once: ./delivery.ts). MAAS being unreachable means "wait and try
 * again", never a failure — but a deadline is kept even then: a backoff never sleeps past one.
 */

import type { TimerHandle } from '../../base/clock.ts';
import type { MachineSummary } from '../../maas/schemas.ts';
import { FINAL_STATES, type Operation, type OperationEvent } from '../../store/types.ts';
import { reconcileAll } from '../clusters/reconcile.ts';
import type { Deps } from '../deps.ts';
import { deliverNotice } from './delivery.ts';
import { judgedAs, polled } from './kinds.ts';
import { cancelOperation, expire, overallState, updateTarget } from './service.ts';

export interface PollerOptions {
  /** Interval while an operation is young (default 2 s). */
  fastMs?: number;
  /** Interval once it is older than `fastForMs` (default 15 s). */
  slowMs?: number;
  /** How long an operation counts as young (default 2 min). */
  fastForMs?: number;
  /** Ids per `GET /machines/` request (MAAS takes any number; URLs stay short at 100). */
  batch?: number;
  /** Longest wait after MAAS failed to answer (default 60 s). */
  maxBackoffMs?: number;
  /**
   * An operation due within this long of a tick is read in that tick (default half of `fastMs`): operations
   * started a moment apart (a workflow's hosts) fall into step and share one batched read instead of each
   * waking the poller on its own.
   */
  coalesceMs?: number;
}

export interface TickReport {
  operations: number;
  machines: number;
  requests: number;
  finished: string[];
  maasError?: string;
  /**
   * When the earliest tracked operation is next due (a running one's next poll, a held one's approval deadline,
   * a notice's retry), as this tick left them; undefined when nothing is being tracked.
   */
  nextDueAt?: number;
  /**
   * The earliest time that comes whether or not MAAS answers (a running operation's deadline, an approval's
   * deadline, a notice's retry): a backoff after a MAAS error never sleeps past it.
   */
  hardDueAt?: number;
}

/** The shortest wait between ticks. */
const MIN_DELAY_MS = 250;

export class Poller {
  private readonly fastMs: number;
  private readonly slowMs: number;
  private readonly fastForMs: number;
  private readonly batch: number;
  private readonly maxBackoffMs: number;
  private readonly coalesceMs: number;
  private timer: TimerHandle | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private running: Promise<TickReport> | undefined;
  private backoffMs = 0;
  private stopped = true;

  constructor(
    private readonly deps: Deps,
    opts: PollerOptions = {},
  ) {
    this.fastMs = opts.fastMs ?? 2_000;
    this.slowMs = opts.slowMs ?? 15_000;
    this.fastForMs = opts.fastForMs ?? 120_000;
    this.batch = opts.batch ?? 100;
    this.maxBackoffMs = opts.maxBackoffMs ?? 60_000;
    this.coalesceMs = opts.coalesceMs ?? this.fastMs / 2;
  }

  /** Starts polling: resumes whatever the store says is running, and delivers notices a restart held back. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /** Asks for a tick soon (a new operation, or someone waiting on one). */
  kick(): void {
    if (!this.stopped && this.backoffMs === 0) this.schedule(0);
  }

  /** Runs one tick now (ticks never overlap). */
  tick(): Promise<TickReport> {
    if (!this.running) {
      this.running = this.doTick().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /**
   * How long to wait before the next tick, given the last one's report: a growing backoff while MAAS is
   * unreachable, else until the earliest operation is due; undefined when nothing is being tracked (idle until
   * kicked). Node drives ticks with timers; a Durable Object drives them with its alarm.
   */
  nextDelay(report: TickReport): number | undefined {
    if (report.maasError) {
      this.backoffMs = Math.min(this.maxBackoffMs, Math.max(this.fastMs, this.backoffMs * 2));
      // A deadline (or a notice's retry) comes whether MAAS answers or not: never sleep past it.
      const hard = report.hardDueAt === undefined ? Infinity : report.hardDueAt - this.deps.clock.now();
      return Math.max(MIN_DELAY_MS, Math.min(this.backoffMs, hard));
    }
    this.backoffMs = 0;
    if (report.nextDueAt === undefined) return undefined;
    return Math.max(MIN_DELAY_MS, report.nextDueAt - this.deps.clock.now());
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    const at = this.deps.clock.now() + delayMs;
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      void this.tick()
        .then((r) => this.nextDelay(r))
        .then(
          (delay) => {
            if (delay !== undefined) this.schedule(delay);
          },
          (err) => {
            this.deps.log.error('poller tick failed', { error: err });
            this.schedule(this.slowMs);
          },
        );
    }, delayMs);
  }

  private async doTick(): Promise<TickReport> {
    const { store, clock, maas, log } = this.deps;
    const report: TickReport = { operations: 0, machines: 0, requests: 0, finished: [] };
    await this.deliverHeldNotices(report);
    const held = await this.expireApprovals(report);
    const now = clock.now();
    // A workflow run is advanced by its engine (core/workflows/); its steps' own operations are read here.
    const running = (await store.runningOperations()).filter((op) => polled(op.kind));
    const due = running.filter((op) => op.next_poll_at <= now + this.coalesceMs);
    report.operations = due.length;
    // Read before this tick moves the due ones on (finishing some, rescheduling the rest): refreshed at the end.
    const dueAt = async () => {
      const live = running.filter((op) => op.state === 'running');
      const noticeAt = await store.nextNoticeAt();
      const hard = [
        ...live.map((op) => op.deadline_at),
        ...held.map((op) => op.deadline_at),
        ...(noticeAt === undefined ? [] : [noticeAt]),
      ];
      const times = [...live.map((op) => op.next_poll_at), ...hard];
      if (times.length > 0) report.nextDueAt = Math.min(...times);
      if (hard.length > 0) report.hardDueAt = Math.min(...hard);
    };
    if (due.length === 0) {
      await dueAt();
      return report;
    }

    const ids = [
      ...new Set(
        due.flatMap((op) => op.targets.filter((t) => t.result === 'pending').map((t) => t.system_id)),
      ),
    ];
    report.machines = ids.length;
    const seen = new Map<string, MachineSummary>();
    try {
      for (let i = 0; i < ids.length; i += this.batch) {
        report.requests++;
        for (const m of await maas.listMachines({ id: ids.slice(i, i + this.batch) }))
          seen.set(m.system_id, m);
      }
    } catch (err) {
      // MAAS down or busy: keep every operation as it is and try again later — except at a deadline, which
      // comes whether MAAS answers or not: what is still pending then times out as last seen.
      report.maasError = err instanceof Error ? err.message : String(err);
      log.warn('poller could not read MAAS; will retry', { error: report.maasError, operations: due.length });
      const late = due.filter((op) => now >= op.deadline_at);
      for (const op of late) {
        expire(op, now, `MAAS could not be read at the deadline: ${report.maasError}`);
        op.state = overallState(op);
        op.finished_at = now;
        op.updated_at = now;
      }
      await this.publish(late, report);
      await dueAt();
      return report;
    }

    const changed: Operation[] = [];
    for (const op of due) {
      let touched = false;
      for (const t of op.targets) {
        if (t.result !== 'pending') continue;
        const m = seen.get(t.system_id);
        if (!m) {
          t.result = 'failed';
          t.finished_at = now;
          t.error = 'it is no longer in MAAS (deleted, or not visible to this MAAS user)';
          touched = true;
        } else if (updateTarget(judgedAs(op), t, m, now)) {
          touched = true;
        }
      }
      if (now >= op.deadline_at && op.targets.some((t) => t.result === 'pending')) {
        expire(op, now);
        touched = true;
      }
      const age = now - op.created_at;
      // Never poll past the deadline: the operation times out on time, not a slow interval later.
      op.next_poll_at = Math.min(now + (age < this.fastForMs ? this.fastMs : this.slowMs), op.deadline_at);
      op.state = overallState(op);
      if (FINAL_STATES.has(op.state)) op.finished_at = now;
      if (touched) op.updated_at = now;
      if (touched) changed.push(op);
      else await this.save(op);
    }

    await this.attachFailureEvents(changed, report);
    await this.publish(changed, report);
    await dueAt();
    return report;
  }

  /** Saves changed operations, tells listeners, and sends the notice of each that finished. */
  private async publish(changed: readonly Operation[], report: TickReport): Promise<void> {
    let clusterEnded = false;
    for (const op of changed) {
      const saved = await this.save(op);
      if (!saved) continue;
      await this.deps.notify.progress(saved);
      if (FINAL_STATES.has(saved.state)) {
        clusterEnded ||= saved.kind === 'cluster';
        await this.notice(saved, report);
      }
    }
    // A cluster's machines settled: its record catches up with MAAS, and leaked machines are reported.
    if (clusterEnded) await this.reconcileClusters();
  }

  /** The cluster reconciler (core/clusters/reconcile.ts), run when a cluster operation ends; failures only logged. */
  private async reconcileClusters(): Promise<void> {
    try {
      await reconcileAll(this.deps);
    } catch (err) {
      this.deps.log.warn('could not reconcile the clusters with MAAS; cluster_get does it again', {
        error: err,
      });
    }
  }

  /** Stores an operation; on a concurrent update, the other writer wins and this tick skips it. */
  private async save(op: Operation): Promise<Operation | undefined> {
    const saved = await this.deps.store.updateOperation(op);
    if (!saved)
      this.deps.log.debug('operation changed under the poller; next tick re-reads it', { id: op.id });
    return saved;
  }

  /** One batched events query for every machine that failed in this tick. */
  private async attachFailureEvents(ops: Operation[], report: TickReport): Promise<void> {
    const failed = ops.flatMap((op) =>
      op.targets.filter((t) => t.result !== 'succeeded' && t.result !== 'pending' && !t.events),
    );
    if (failed.length === 0) return;
    const ids = [...new Set(failed.map((t) => t.system_id))];
    try {
      report.requests++;
      const page = await this.deps.maas.events({ id: ids, limit: Math.min(1000, ids.length * 10) });
      const byNode = new Map<string, OperationEvent[]>();
      for (const e of page.events) {
        const list = byNode.get(e.node) ?? [];
        if (list.length < 5)
          list.push({
            id: e.id,
            created: e.created,
            level: e.level,
            type: e.type,
            description: e.description,
          });
        byNode.set(e.node, list);
      }
      for (const t of failed) t.events = byNode.get(t.system_id) ?? [];
    } catch (err) {
      this.deps.log.warn('could not read events for failed machines', { error: err });
    }
  }

  private async notice(op: Operation, report: TickReport): Promise<void> {
    // The next tick is planned from the store (nextNoticeAt): no kick needed for a retry.
    if ((await deliverNotice(this.deps, op, { kick: false })) !== 'elsewhere') report.finished.push(op.id);
  }

  /**
   * Calls held for a person's approval past their deadline are refused: nobody approved them in time. Answers
   * the ones still held.
   */
  private async expireApprovals(report: TickReport): Promise<Operation[]> {
    const now = this.deps.clock.now();
    const held: Operation[] = [];
    for (const op of await this.deps.store.listOperations({ state: ['awaiting_approval'], limit: 500 })) {
      if (op.deadline_at > now) {
        held.push(op);
        continue;
      }
      const done = await cancelOperation(this.deps, op, {
        error: 'nobody approved it in time',
        summary: 'approval expired',
      });
      if (done?.announced) report.finished.push(op.id);
    }
    return held;
  }

  /** Notices due again: a failed delivery's retry, or one a crash held back (finished, never delivered). */
  private async deliverHeldNotices(report: TickReport): Promise<void> {
    for (const op of await this.deps.store.unnoticedOperations(this.deps.clock.now()))
      await this.notice(op, report);
  }
}
