/** A simulator, Deps with a poller and a workflow runner, and helpers to run a workflow to its end on a manual clock. */
import type { ManualClock } from '../../../src/base/clock.ts';
import type { Principal } from '../../../src/core/access.ts';
import type { Deps, ToolContext } from '../../../src/core/deps.ts';
import { runTool } from '../../../src/core/invoke.ts';
import type { Poller, TickReport } from '../../../src/core/operations/poller.ts';
import type { WorkflowEvent } from '../../../src/core/workflows/engine.ts';
import type { WorkflowRunner } from '../../../src/core/workflows/runner.ts';
import { type WorkflowView, workflowView } from '../../../src/core/workflows/view.ts';
import type { Simulator, SimulatorOptions } from '../../../src/sim/index.ts';
import type { Operation, Store } from '../../../src/store/types.ts';
import { findTool } from '../../../src/tools/index.ts';
import { ADMIN, drive, type SimDepsOptions, simDeps, startPoller } from '../../helpers.ts';

export interface Rig {
  sim: Simulator;
  deps: Deps;
  clock: ManualClock;
  poller: Poller;
  runner: WorkflowRunner;
  /** Every poller tick's report, in order. */
  ticks: TickReport[];
  close(): void;
}

export function workflowRig(opts: SimulatorOptions & SimDepsOptions = {}): Rig {
  const { sim, deps, clock } = simDeps(opts);
  const poller = startPoller(deps);
  const ticks: TickReport[] = [];
  const tick = poller.tick.bind(poller);
  poller.tick = async () => {
    const r = await tick();
    ticks.push(r);
    return r;
  };
  return {
    sim,
    deps,
    clock: clock as ManualClock,
    poller,
    runner: deps.workflows as WorkflowRunner,
    ticks,
    close: () => {
      poller.stop();
      sim.close();
    },
  };
}

export interface Ran {
  /** workflow_run's answer. */
  out: Record<string, unknown>;
  op: Operation;
  view: WorkflowView;
  events: WorkflowEvent[];
}

/** Calls workflow_run (confirmed unless `ctx` says otherwise) and, if it started a run, drives it to its end. */
export async function runWorkflow(
  r: Pick<Rig, 'deps' | 'clock' | 'runner'>,
  workflow: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  ctx: Partial<ToolContext> & { principal?: Principal } = {},
): Promise<Ran> {
  const tool = findTool('workflow_run');
  if (!tool) throw new Error('no workflow_run');
  const seen: [string, WorkflowEvent][] = [];
  const unsubscribe = r.runner.subscribe((id, e) => seen.push([id, e]));
  try {
    const out = (await drive(
      r.clock,
      runTool(tool, { workflow, ...extra }, { deps: r.deps, principal: ADMIN, confirmMode: 'off', ...ctx }),
    )) as Record<string, unknown>;
    const id = (out.run as { id?: string } | undefined)?.id;
    if (!id) return { out, op: undefined as never, view: undefined as never, events: [] };
    const engine = r.runner.engine(id);
    const op = engine
      ? await drive(r.clock, engine.done, 5_000, 4_000)
      : ((await r.deps.store.getOperation(id)) as Operation);
    const events = seen.filter(([run]) => run === id).map(([, e]) => e);
    return { out, op, view: workflowView(op, false), events };
  } finally {
    unsubscribe();
  }
}

/** Requests the simulator answered that write (POST, PUT, DELETE), optionally only with `op`. */
export function writes(
  sim: Simulator,
  op?: string,
): { method: string; path: string; op: string | undefined }[] {
  return sim.requests.entries
    .filter((e) => e.method === 'POST' || e.method === 'PUT' || e.method === 'DELETE')
    .map((e) => ({ method: e.method, path: e.path, op: e.query.find(([k]) => k === 'op')?.[1] }))
    .filter((e) => op === undefined || e.op === op);
}

/** The store's whole content as text (operations, audit), for scans. */
export async function storeText(store: Store): Promise<string> {
  const ops = await store.listOperations({ limit: 500 });
  const audit = await store.listAudit({ limit: 500 });
  return JSON.stringify({ ops, audit });
}

export const MAC = (i: number) =>
  `52:54:00:77:${String(Math.floor(i / 100)).padStart(2, '0')}:${String(i % 100).padStart(2, '0')}`;
