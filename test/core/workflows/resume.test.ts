/**
 * Durable runs: a maas-mcp that dies mid-run (its store and MAAS calls stop answering, as a killed process's do) and
 * a fresh one on the same SQLite file — the same workflow again resumes each host where it stopped without
 * repeating a finished destructive step; a server resumes the runs it started, its BMC secrets unsealed; a run
 * that ended unfinished is carried on from its failed steps.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/base/clock.ts';
import type { Deps } from '../../../src/core/deps.ts';
import { runTool } from '../../../src/core/invoke.ts';
import type { WorkflowRunner } from '../../../src/core/workflows/runner.ts';
import { NodeStatus } from '../../../src/maas/status.ts';
import { SqliteStore } from '../../../src/node/sqlite-store.ts';
import { createSimulator, type Simulator } from '../../../src/sim/index.ts';
import type { Store } from '../../../src/store/types.ts';
import { findTool } from '../../../src/tools/index.ts';
import { ADMIN, drive, makeDeps, node, startPoller } from '../../helpers.ts';
import { runWorkflow, workflowRig, writes } from './rig.ts';

const dir = mkdtempSync(join(tmpdir(), 'maas-mcp-wf-'));
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A store and a MAAS connection that stop answering at once when `freeze()` is called: a process killed. */
function mortal(store: Store, sim: Simulator) {
  let dead = false;
  const never = new Promise<never>(() => {});
  const frozenStore = new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        dead ? never : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  const fetch = (input: Request | string | URL, init?: RequestInit) =>
    dead ? never : sim.fetch(input, init);
  return { store: frozenStore, fetch, kill: () => (dead = true) };
}

/** A maas-mcp process over `store`, against the shared simulator and clock. */
function processOn(sim: Simulator, clock: ManualClock, store: Store, holder: string, fetch = sim.fetch) {
  const deps = makeDeps(
    { baseUrl: sim.baseUrl, fetch, apiKey: sim.users.admin.apiKey },
    { clock, store, holder },
  );
  const poller = startPoller(deps);
  cleanups.push(() => poller.stop());
  return { deps, clock, runner: deps.workflows as WorkflowRunner };
}

const hostOf = (sim: Simulator, path: string) =>
  sim.control.machines().find((m) => path.includes(`/machines/${m.systemId}/`))?.hostname;

describe('a run that outlives its process', () => {
  it('resumes after a crash: the same workflow again picks each host up where it stopped, and no finished destructive step runs twice', async () => {
    const clock = new ManualClock();
    const sim = createSimulator({ clock });
    cleanups.push(() => sim.close());
    const path = join(dir, 'crash.db');
    const first = mortal(SqliteStore.open(path), sim);
    const a = processOn(sim, clock, first.store, 'cli:elsewhere:1', first.fetch);
    const workflow = {
      actions: ['release', 'deploy'],
      machines: [
        { hostname: 'web-01', distro_series: 'jammy' },
        { hostname: 'db-01', distro_series: 'noble' },
      ],
    };
    // Killed the moment web-01 has deployed, while db-01 is still on its way.
    let killedAt: string | undefined;
    a.runner.subscribe((_id, e) => {
      if (e.kind === 'step' && e.host === 'web-01' && e.action === 'deploy' && e.state === 'done') {
        first.kill();
        killedAt = node(sim, 'db-01').status === NodeStatus.DEPLOYED ? 'too late' : 'in time';
      }
    });
    await start(a.deps, clock, workflow);
    for (let i = 0; i < 300 && !killedAt; i++) await clock.advance(5_000);
    expect(killedAt).toBe('in time');

    // A new process on the same file, once the dead one's lease ran out.
    await clock.advance(31_000);
    const b = processOn(sim, clock, SqliteStore.open(path), 'cli:here:2');
    const { out, view } = await runWorkflow(b, workflow);
    expect(out.how).toBe('resumed');
    expect(view.state).toBe('succeeded');
    expect(view.hosts.map((h) => [h.hostname, h.result])).toEqual([
      ['web-01', 'succeeded'],
      ['db-01', 'succeeded'],
    ]);
    const deploys = writes(sim, 'deploy').map((w) => hostOf(sim, w.path));
    expect(deploys.sort()).toEqual(['db-01', 'web-01']);
    expect(writes(sim, 'release').map((w) => hostOf(sim, w.path))).toEqual(['db-01']);
    expect(node(sim, 'db-01')).toMatchObject({ status: NodeStatus.DEPLOYED, distroSeries: 'noble' });
  });

  it('a server resumes the runs it started when it starts again, with the BMC secrets it sealed', async () => {
    const clock = new ManualClock();
    const sim = createSimulator({ clock });
    cleanups.push(() => sim.close());
    const path = join(dir, 'server.db');
    const first = mortal(SqliteStore.open(path), sim);
    const a = processOn(sim, clock, first.store, 'server:elsewhere:1', first.fetch);
    const workflow = {
      actions: ['set_power'],
      machines: [
        {
          hostname: 'web-01',
          power_type: 'ipmi',
          power_parameters: {
            power_address: '10.3.0.1',
            power_user: 'admin',
            power_pass: 'Sealed-Bmc-Pass-9',
          },
        },
      ],
    };
    // Killed as it was about to set the power.
    let killed = false;
    a.runner.subscribe((_id, e) => {
      if (e.kind === 'step' && e.action === 'set_power' && e.state === 'running') {
        first.kill();
        killed = true;
      }
    });
    await start(a.deps, clock, workflow);
    for (let i = 0; i < 20 && !killed; i++) await clock.advance(1_000);
    expect(killed).toBe(true);
    // Its BMC password is in the store only sealed.
    expect(readFileSync(path).includes(Buffer.from('Sealed-Bmc-Pass-9'))).toBe(false);
    await clock.advance(31_000);
    const b = processOn(sim, clock, SqliteStore.open(path), 'server:here:2');
    const resumed = await drive(clock, b.runner.resumeServerRuns());
    expect(resumed).toHaveLength(1);
    const engine = b.runner.engine(resumed[0] as string);
    if (engine) await drive(clock, engine.done);
    const op = await b.deps.store.getOperation(resumed[0] as string);
    expect(op?.state).toBe('succeeded');
    expect(op?.workflow?.hosts[0]?.steps.map((s) => s.state)).toEqual(['done']);
    expect(node(sim, 'web-01').powerParameters).toMatchObject({
      power_address: '10.3.0.1',
      power_pass: 'Sealed-Bmc-Pass-9',
    });
  });
});

describe('running the same workflow again', () => {
  it('carries on from a run that ended unfinished: the failed host starts at its failed step, the others are left alone', async () => {
    const r = workflowRig();
    cleanups.push(() => r.close());
    const workflow = {
      actions: ['commission', 'deploy'],
      machines: [{ hostname: 'new-01' }, { hostname: 'new-02' }],
    };
    r.sim.control.failTransition('new-02', 'deploy', { message: 'PXE boot timed out' });
    const failed = await runWorkflow(r, workflow);
    expect(failed.view.counts).toMatchObject({ succeeded: 1, failed: 1 });
    // Someone puts new-02 right (released, Ready again); the same file runs again.
    await drive(r.clock, releaseFailed(r.deps, 'new-02'));
    const commissions = writes(r.sim, 'commission').length;
    const again = await runWorkflow(r, workflow);
    expect(again.out.how).toBe('continued');
    expect(again.view.state).toBe('succeeded');
    expect(again.view.continued_from).toBe(failed.op.id);
    expect(writes(r.sim, 'commission').length).toBe(commissions);
    expect(again.view.hosts[1]?.steps?.map((s) => [s.action, s.state])).toEqual([
      ['commission', 'done'],
      ['deploy', 'done'],
    ]);
    expect(again.view.hosts[1]?.steps?.[0]?.note).toContain(`(in run ${failed.op.id})`);
  });

  it('answers the run already going instead of starting another', async () => {
    const r = workflowRig();
    cleanups.push(() => r.close());
    const workflow = { actions: ['commission'], machines: [{ hostname: 'new-01' }] };
    const tool = findTool('workflow_run');
    const ctx = {
      deps: r.deps,
      principal: { id: 'x', role: 'admin' as const, via: 'mcp' as const },
      confirmMode: 'off' as const,
    };
    const one = (await runTool(tool as never, { workflow }, ctx)) as { run: { id: string }; how: string };
    const two = (await runTool(tool as never, { workflow }, ctx)) as { run: { id: string }; how: string };
    expect(one.how).toBe('started');
    expect(two).toMatchObject({ how: 'running', run: { id: one.run.id } });
    await drive(r.clock, (r.runner.engine(one.run.id) as { done: Promise<unknown> }).done, 5_000);
  });
});

/** Starts a workflow (confirmed) and answers as soon as it runs. */
async function start(deps: Deps, clock: ManualClock, workflow: Record<string, unknown>): Promise<void> {
  const tool = findTool('workflow_run');
  if (!tool) throw new Error('no workflow_run');
  await drive(clock, runTool(tool, { workflow }, { deps, principal: ADMIN, confirmMode: 'off' }));
}

/** Releases a machine that failed its deployment, as an operator would, and waits until it is Ready. */
async function releaseFailed(deps: Deps, hostname: string): Promise<void> {
  const [m] = await deps.maas.listMachines({ hostname: [hostname] });
  if (!m) throw new Error(`no ${hostname}`);
  await deps.maas.machineOp(m.system_id, 'release', {});
  for (let i = 0; i < 100; i++) {
    const [now] = await deps.maas.listMachines({ id: [m.system_id] });
    if (now?.status === NodeStatus.READY) return;
    await new Promise((resolve) => deps.clock.setTimeout(() => resolve(undefined), 5_000));
  }
  throw new Error(`${hostname} did not become Ready`);
}
