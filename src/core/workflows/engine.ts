/**
 * The workflow engine (README "Workflows"): runs each host's steps in order, hosts in parallel (at most `parallel`
 * at once), each host on its own — one host's failure never stops another. A step that fails because MAAS was
 * unreachable or busy is tried again after 1, 2, 4 … seconds (at most 60 between tries; `maxRetries` 0: forever),
 * each time from a fresh look at the machine, never by re-sending a write blindly. Long actions are waited on
 * through their operations, which the one poller reads in batches. Every step is recorded before and after it runs,
 * so a run stopped at any point (a crash, `kill -9`, Ctrl-C) resumes where each host stood.
 */
import { sleep, type TimerHandle } from '../../base/clock.ts';
import { mapLimit, Semaphore } from '../../base/concurrency.ts';
import { REDACTED } from '../../base/redact.ts';
import { normaliseMac } from '../../maas/constants.ts';
import type { MachineSummary } from '../../maas/schemas.ts';
import {
  FINAL_STATES,
  type Operation,
  type OperationKind,
  type OperationState,
  type OperationTarget,
  type TargetResult,
  type WorkflowStep,
  type WorkflowStepState,
} from '../../store/types.ts';
import type { Principal } from '../access.ts';
import type { ConfirmedPlan, Deps } from '../deps.ts';
import { describeError, isTransient } from '../errors.ts';
import { runTool } from '../invoke.ts';
import { kindLabel } from '../operations/kinds.ts';
import { announceEnd, overallState, startOperation } from '../operations/service.ts';
import type { AnyTool } from '../tool.ts';
import type { Action } from './format.ts';
import type { HostPlan, WorkflowPlan } from './plan.ts';
import { isFinishedStep, LEASE_MS, RunRecord } from './record.ts';
import { type StepEnv, StepError, stepOf } from './steps.ts';

/** Finds a tool of the registry by name (injected: core does not import the tools). */
export type ToolLookup = (name: string) => AnyTool | undefined;

/** What a run reports as it goes, for a live view or log lines. */
export type WorkflowEvent =
  | {
      kind: 'step';
      at: number;
      host: string;
      index: number;
      action: Action;
      state: WorkflowStepState | 'retrying';
      note?: string | undefined;
      attempt: number;
    }
  | { kind: 'status'; at: number; host: string; status: string; message: string }
  | { kind: 'host'; at: number; host: string; result: TargetResult; note?: string | undefined }
  | { kind: 'run'; at: number; state: OperationState };

export interface EngineOptions {
  deps: Deps;
  /** The run's operation, leased to `holder`. */
  op: Operation;
  holder: string;
  plan: WorkflowPlan;
  tools: ToolLookup;
  /** Whose run it is: every step is called as them. */
  principal: Principal;
  /** Hosts at once. */
  parallel: number;
  /** Tries after the first for a step MAAS was too busy for; 0: no limit. */
  maxRetries: number;
  /** Steps calling MAAS at once, each a few requests (default 16; waits do not count: the poller reads for them). */
  maasConcurrency?: number;
}

/** How much longer than its deadline a step waits on its operation (the poller marks it timed out at the deadline). */
const FOLLOW_GRACE_MS = 60_000;
const MAX_BACKOFF_S = 60;

/** Thrown inside a host when the run stops (interrupted, cancelled, taken over): not a failure of the step. */
class Halted extends Error {
  override name = 'Halted';
}

export class WorkflowEngine {
  /** The run as it ends: finished, cancelled, or (stopped or taken over) still running for a later resume. */
  readonly done: Promise<Operation>;
  private readonly deps: Deps;
  private readonly record: RunRecord;
  private readonly plan: Map<string, HostPlan>;
  private readonly halt = new AbortController();
  private readonly maas: Semaphore;
  private readonly listeners = new Set<(e: WorkflowEvent) => void>();
  private stopping = false;
  private leaseTimer: TimerHandle | undefined;
  private readonly confirmed: ConfirmedPlan;
  private readonly waits: OperationWaits;

  constructor(private readonly opts: EngineOptions) {
    this.deps = opts.deps;
    this.waits = new OperationWaits(opts.deps, this.halt.signal);
    this.plan = new Map(opts.plan.hosts.map((h) => [h.hostname, h]));
    this.maas = new Semaphore(opts.maasConcurrency ?? 16);
    this.record = new RunRecord(opts.deps, structuredClone(opts.op), opts.holder, (why) => {
      if (why === 'lost')
        this.deps.log.warn('another process took this workflow run over', { id: this.op.id });
      this.halt.abort();
    });
    this.confirmed = {
      name: `workflow ${opts.op.id}`,
      uncovered: (tool, machine) => this.uncovered(tool, machine),
    };
    this.done = this.run();
  }

  /** The run as this engine has it now. */
  get op(): Operation {
    return this.record.op;
  }

  /** Listens to the run's events; answers the function that stops listening. */
  subscribe(listener: (e: WorkflowEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stops running it here (Ctrl-C, a server shutting down): waits stop at once, every step keeps its record, and the
   * lease is given up so that the next `maas-mcp run` (or the server's next start) resumes it without waiting.
   */
  async stop(): Promise<Operation> {
    if (FINAL_STATES.has(this.op.state) || this.stopping) return this.op;
    this.stopping = true;
    this.halt.abort();
    this.record.workflow.lease = null;
    await this.record
      .save()
      .catch((err) => this.deps.log.warn('could not save a stopped run', { error: err }));
    return this.op;
  }

  private halted(): boolean {
    return this.halt.signal.aborted;
  }

  private emit(e: WorkflowEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.deps.log.warn('a workflow listener failed', { error: err });
      }
    }
  }

  private async run(): Promise<Operation> {
    const { deps } = this;
    const unsubscribe = deps.notify.subscribe({
      // Cancelled in this process: the next write notices it and takes it on.
      progress: (op) => {
        if (op.id === this.op.id && op.state === 'cancelled' && !this.record.cancelled)
          void this.record.save();
      },
    });
    this.renewLease();
    try {
      const order = this.op.targets.map((_, i) => i).filter((i) => this.op.targets[i]?.result === 'pending');
      await mapLimit(order, Math.max(1, this.opts.parallel), (i) => this.runHost(i));
      if (this.record.lost || this.stopping) return this.op;
      if (this.record.cancelled) return await this.finishCancelled();
      return await this.finish();
    } finally {
      unsubscribe();
      this.waits.close();
      if (this.leaseTimer !== undefined) deps.clock.clearTimeout(this.leaseTimer);
      this.record.close();
    }
  }

  private renewLease(): void {
    this.leaseTimer = this.deps.clock.setTimeout(() => {
      if (this.halted() || FINAL_STATES.has(this.op.state)) return;
      this.record.renew();
      this.record.save().catch((err) => this.deps.log.warn('could not renew a run lease', { error: err }));
      this.renewLease();
    }, LEASE_MS / 3);
  }

  private async finish(): Promise<Operation> {
    const now = this.deps.clock.now();
    const op = this.record.op;
    op.state = overallState(op);
    op.finished_at = now;
    this.record.workflow.lease = null;
    await this.record.save();
    this.emit({ kind: 'run', at: now, state: op.state });
    await announceEnd(this.deps, structuredClone(op)).catch((err) =>
      this.deps.log.warn('could not announce the end of a workflow run', { id: op.id, error: err }),
    );
    return op;
  }

  /** Cancelled elsewhere: what was under way or still to do is recorded as cancelled. */
  private async finishCancelled(): Promise<Operation> {
    const now = this.deps.clock.now();
    for (const h of this.record.workflow.hosts) {
      for (const s of h.steps) {
        if (s.state === 'running' || s.state === 'pending') {
          s.state = 'cancelled';
          s.finished_at = now;
        }
      }
    }
    this.record.workflow.lease = null;
    await this.record.save();
    this.emit({ kind: 'run', at: now, state: this.op.state });
    return this.op;
  }

  private async runHost(i: number): Promise<void> {
    const t = this.op.targets[i] as OperationTarget;
    const rec = this.record.workflow.hosts[i];
    const h = this.plan.get(t.hostname);
    if (!rec || t.result !== 'pending') return;
    if (!h) {
      await this.endHost(i, 'failed', 'this host is no longer in the plan (the file changed)');
      return;
    }
    for (let s = 0; s < rec.steps.length; s++) {
      const step = rec.steps[s] as WorkflowStep;
      if (isFinishedStep(step)) continue;
      if (this.halted()) return;
      try {
        await this.runStep(i, s, h, step);
      } catch (err) {
        if (this.halted()) return;
        const e = err instanceof StepError ? err : new StepError(describeError(err, this.deps.secrets));
        await this.endHost(i, e.timedOut ? 'timed_out' : 'failed', `${step.action}: ${e.message}`);
        return;
      }
    }
    await this.endHost(i, 'succeeded');
  }

  private async endHost(i: number, result: TargetResult, error?: string): Promise<void> {
    const t = this.op.targets[i] as OperationTarget;
    const now = this.deps.clock.now();
    t.result = result;
    t.finished_at = now;
    if (error) t.error = error;
    await this.record.save();
    this.emit({ kind: 'host', at: now, host: t.hostname, result, note: error });
    this.deps.log.info('workflow host ended', { id: this.op.id, host: t.hostname, result });
  }

  /** Runs one step, trying again while MAAS is unreachable or busy; throws a {@link StepError} when it fails. */
  private async runStep(i: number, s: number, h: HostPlan, step: WorkflowStep): Promise<void> {
    const { deps } = this;
    const def = stepOf(step.action as Action);
    const host = h.hostname;
    const missing = missingSecrets(def.action, h);
    if (missing) {
      step.state = 'failed';
      step.note = missing;
      step.finished_at = deps.clock.now();
      await this.record.save();
      throw new StepError(missing);
    }
    for (;;) {
      step.state = 'running';
      step.attempts += 1;
      step.started_at ??= deps.clock.now();
      await this.record.save();
      this.emit({
        kind: 'step',
        at: deps.clock.now(),
        host,
        index: s,
        action: def.action,
        state: 'running',
        attempt: step.attempts,
      });
      try {
        const res = await def.run(this.env(i, s, h, step));
        if (this.halted()) throw new Halted();
        step.state = res.state;
        step.note = res.note;
        step.finished_at = deps.clock.now();
        await this.record.save();
        this.emit({
          kind: 'step',
          at: step.finished_at,
          host,
          index: s,
          action: def.action,
          state: res.state,
          note: res.note,
          attempt: step.attempts,
        });
        return;
      } catch (err) {
        if (this.halted() || err instanceof Halted) throw new Halted();
        const e =
          err instanceof StepError
            ? err
            : new StepError(describeError(err, deps.secrets, deps.log), isTransient(err));
        const budget = this.opts.maxRetries;
        if (e.transient && (budget === 0 || step.attempts <= budget)) {
          const delay = Math.min(MAX_BACKOFF_S, 2 ** (step.attempts - 1));
          step.note = `try ${step.attempts} failed (${e.message}); trying again in ${delay} s`;
          this.record.touch();
          this.emit({
            kind: 'step',
            at: deps.clock.now(),
            host,
            index: s,
            action: def.action,
            state: 'retrying',
            note: step.note,
            attempt: step.attempts,
          });
          try {
            await sleep(deps.clock, delay * 1000, this.halt.signal);
          } catch {
            throw new Halted();
          }
          continue;
        }
        step.state = 'failed';
        step.note = step.attempts > 1 ? `${e.message} (after ${step.attempts} tries)` : e.message;
        step.finished_at = deps.clock.now();
        await this.record.save();
        this.emit({
          kind: 'step',
          at: step.finished_at,
          host,
          index: s,
          action: def.action,
          state: 'failed',
          note: step.note,
          attempt: step.attempts,
        });
        throw new StepError(step.note, false, e.timedOut);
      }
    }
  }

  /** What a step may use, for host `i` at step `s`. */
  private env(i: number, s: number, h: HostPlan, step: WorkflowStep): StepEnv {
    const { deps, op } = this;
    const t = op.targets[i] as OperationTarget;
    const ctx = () => ({
      deps,
      principal: this.opts.principal,
      confirmedPlan: this.confirmed,
      partOf: op.id,
      notifyTargets: [],
    });
    const find = async (): Promise<MachineSummary | undefined> => {
      const m = await this.maas.run(() => findMachine(deps, h));
      if (m) this.observe(i, m);
      return m;
    };
    return {
      host: h,
      record: step,
      find,
      machine: async () => {
        if (!t.system_id) return find();
        const [m] = await this.maas.run(() => deps.maas.listMachines({ id: [t.system_id] }));
        if (m) this.observe(i, m);
        return m;
      },
      call: async (name, args, o = {}) => {
        const tool = this.opts.tools(name);
        if (!tool) {
          throw new StepError(`${name} is not part of this maas-mcp, so ${step.action} cannot be done here`);
        }
        const out = await this.maas.run(() =>
          runTool(tool, args, {
            ...ctx(),
            ...(o.timeoutMs !== undefined ? { operationTimeoutMs: o.timeoutMs } : {}),
          }),
        );
        const created = (out as { machine?: { system_id?: string } }).machine?.system_id;
        if (created && !t.system_id) t.system_id = created;
        return out;
      },
      save: async (patch) => {
        Object.assign(step, patch);
        await this.record.save();
      },
      follow: (id) => this.follow(i, id),
      track: async (kind: OperationKind, m, timeoutMs) => {
        const tracked = await startOperation(deps, {
          kind,
          tool: 'workflow_run',
          summary: `${kindLabel(kind)} ${m.hostname}`,
          machines: [m],
          before: new Map([[m.system_id, m.status_name]]),
          requester: op.requester,
          timeoutMs,
          partOf: op.id,
        });
        return tracked.id;
      },
      powerParameters: (id) => this.maas.run(() => deps.maas.powerParameters(id)),
      later: (action) => h.steps.slice(s + 1).includes(action),
    };
  }

  /** Follows a step's operation to its end, reporting MAAS's status messages as they change. */
  private async follow(i: number, id: string): Promise<Operation> {
    const { deps } = this;
    const op = await deps.store.getOperation(id);
    if (!op) throw new StepError(`its operation ${id} is no longer on record`);
    const timeoutMs = Math.max(0, op.deadline_at - deps.clock.now()) + FOLLOW_GRACE_MS;
    this.observeOperation(i, op);
    const seen = await this.waits.wait(op, timeoutMs, (o) => this.observeOperation(i, o));
    if (this.halted()) throw new Halted();
    if (!FINAL_STATES.has(seen.state)) {
      throw new StepError(`its operation ${id} was still ${seen.state} past its deadline`, false, true);
    }
    return seen;
  }

  /** A fresh read of host `i`'s machine: what the run shows of it. */
  private observe(i: number, m: MachineSummary): void {
    const t = this.op.targets[i] as OperationTarget;
    const changed = t.status_code !== m.status || t.status_message !== m.status_message;
    t.system_id = m.system_id;
    t.status = m.status_name;
    t.status_code = m.status;
    t.status_message = m.status_message;
    t.power_state = m.power_state;
    if (changed) this.statusChanged(t);
  }

  private observeOperation(i: number, o: Operation): void {
    const t = this.op.targets[i] as OperationTarget;
    const m = o.targets[0];
    if (!m) return;
    const changed = t.status !== m.status || t.status_message !== m.status_message;
    t.status = m.status;
    t.status_code = m.status_code;
    t.status_message = m.status_message;
    t.power_state = m.power_state;
    if (changed) this.statusChanged(t);
  }

  private statusChanged(t: OperationTarget): void {
    this.record.touch();
    this.emit({
      kind: 'status',
      at: this.deps.clock.now(),
      host: t.hostname,
      status: t.status,
      message: t.status_message,
    });
  }

  /** Why the confirmed plan does not cover `tool` on `machine` (see ConfirmedPlan), or undefined. */
  private uncovered(tool: string, machine: { hostname: string; system_id: string }): string | undefined {
    const name = `workflow ${this.op.id}`;
    const t = this.op.targets.find(
      (x) => (x.system_id !== '' && x.system_id === machine.system_id) || x.hostname === machine.hostname,
    );
    const h = t && this.plan.get(t.hostname);
    if (!h) return `${machine.hostname} is not a host of ${name}`;
    if (!h.steps.some((a) => stepOf(a).tool === tool))
      return `${name} did not show ${tool} for ${h.hostname}`;
    return undefined;
  }
}

/** How often the operations a run waits on are read back from the store (for a poller in another process). */
const REREAD_MS = 5_000;

/**
 * Every wait of one run on its steps' operations, together: one listener on the poller's news, and one timer that
 * reads the waited operations back from the store (when another process's poller advanced them) — not a loop per
 * host.
 */
class OperationWaits {
  private readonly waiting = new Map<
    string,
    { latest: Operation; until: number; onProgress: (op: Operation) => void; done: (op: Operation) => void }
  >();
  private timer: TimerHandle | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: Deps,
    signal: AbortSignal,
  ) {
    this.unsubscribe = deps.notify.subscribe({ progress: (op) => this.seen(op) });
    signal.addEventListener('abort', () => this.close(), { once: true });
  }

  /** Resolves with the operation once it ends, or as last seen when `timeoutMs` passes or the run stops. */
  wait(op: Operation, timeoutMs: number, onProgress: (op: Operation) => void): Promise<Operation> {
    if (FINAL_STATES.has(op.state)) return Promise.resolve(op);
    this.deps.kickPoller();
    return new Promise((done) => {
      this.waiting.set(op.id, { latest: op, until: this.deps.clock.now() + timeoutMs, onProgress, done });
      this.schedule();
    });
  }

  close(): void {
    this.unsubscribe();
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const [id, w] of this.waiting) {
      this.waiting.delete(id);
      w.done(w.latest);
    }
  }

  private seen(op: Operation): void {
    const w = this.waiting.get(op.id);
    if (!w || (op.version <= w.latest.version && op.state === w.latest.state)) return;
    w.latest = op;
    w.onProgress(op);
    if (FINAL_STATES.has(op.state)) {
      this.waiting.delete(op.id);
      w.done(op);
    }
  }

  private schedule(): void {
    if (this.timer !== undefined || this.waiting.size === 0) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.reread().finally(() => this.schedule());
    }, REREAD_MS);
  }

  private async reread(): Promise<void> {
    const now = this.deps.clock.now();
    for (const [id, w] of [...this.waiting]) {
      const op = await this.deps.store.getOperation(id).catch(() => undefined);
      if (op) this.seen(op);
      if (this.waiting.has(id) && now >= w.until) {
        this.waiting.delete(id);
        w.done(w.latest);
      }
    }
  }
}

/**
 * Why a step cannot run for want of a secret the file gave but this process does not have (a server resuming a run
 * after its MAAS key changed), or undefined. A placeholder is never sent to MAAS in a secret's stead.
 */
function missingSecrets(action: Action, h: HostPlan): string | undefined {
  const s = h.spec;
  const power = Object.values(s.power_parameters ?? {}).some((v) => v === REDACTED);
  const needs =
    ((action === 'set_power' || action === 'create_machine' || action === 'find_machine') && power) ||
    (action === 'deploy' && s.user_data === REDACTED);
  if (!needs) return undefined;
  return `the secrets the file gave for ${h.hostname} (BMC credentials, user_data) are not at hand here, so ${action} was not done — run the workflow again from its file (finished steps are not repeated)`;
}

/** BMC settings of every machine, read at most once per lookup round (a preview of many hosts). */
export interface BmcCache {
  all?: Promise<Record<string, Record<string, string>>>;
}

/**
 * Looks a host's machine up as the SDK does: by hostname, then by its MAC addresses, then by its BMC address (the
 * last needs a MAAS admin: every machine's BMC settings are read, compared here and forgotten).
 */
export async function findMachine(
  deps: Deps,
  h: HostPlan,
  cache: BmcCache = {},
): Promise<MachineSummary | undefined> {
  const { maas } = deps;
  const byName = (await maas.listMachines({ hostname: [h.hostname] })).find((m) => m.hostname === h.hostname);
  if (byName) return byName;
  const macs = [h.spec.pxe_mac, ...(h.spec.mac_addresses ?? [])].filter((m): m is string => !!m);
  if (macs.length > 0) {
    const [byMac] = await maas.listMachines({ mac_address: macs.map(normaliseMac) });
    if (byMac) return byMac;
  }
  const address = h.spec.power_parameters?.power_address;
  if (address === undefined || address === '') return undefined;
  let all: Record<string, Record<string, string>>;
  try {
    cache.all ??= maas.allPowerParameters();
    all = await cache.all;
  } catch (err) {
    cache.all = undefined;
    if (isTransient(err)) throw err;
    // Not a MAAS admin: the BMC address cannot be compared; the machine is not found that way.
    deps.log.debug('could not read BMC settings to find a machine by its BMC address', { error: err });
    return undefined;
  }
  const id = Object.entries(all).find(([, p]) => p.power_address === String(address))?.[0];
  if (!id) return undefined;
  const [byBmc] = await maas.listMachines({ id: [id] });
  return byBmc;
}
