import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import type { Deps } from '../../src/core/deps.ts';
import { NOTICE_LEASE_MS } from '../../src/core/operations/delivery.ts';
import { Poller } from '../../src/core/operations/poller.ts';
import type { ActionResult } from '../../src/core/result.ts';
import { SqliteStore } from '../../src/node/sqlite-store.ts';
import { createSimulator, type Simulator } from '../../src/sim/index.ts';
import type { Operation, Store } from '../../src/store/types.ts';
import {
  call,
  connectClient,
  depsFor,
  maasUnavailable,
  node,
  readyHosts,
  simDeps,
  startPoller,
} from '../helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  sim: Simulator;
  clock: ManualClock;
  deps: Deps;
  poller: Poller;
  finished: Operation[];
  client: Awaited<ReturnType<typeof connectClient>>['client'];
}

/**
 * A simulator and a poller on one manual clock, and an MCP client with confirmation off. `restart` gives the
 * simulator (and clock) of an earlier rig, for a maas-mcp that restarts against the same MAAS.
 */
async function rig(
  opts: {
    machines?: number;
    timeScale?: number;
    env?: Record<string, string>;
    store?: Store;
    restart?: { sim: Simulator; clock: ManualClock };
  } = {},
): Promise<Rig> {
  const settings = {
    env: { MAAS_MCP_CONFIRM: 'off', ...opts.env },
    ...(opts.store ? { store: opts.store } : {}),
  };
  let sim: Simulator;
  let clock: ManualClock;
  let deps: Deps;
  if (opts.restart) {
    ({ sim, clock } = opts.restart);
    deps = depsFor(sim, clock, settings);
  } else {
    const made = simDeps({ machines: opts.machines ?? 24, timeScale: opts.timeScale ?? 0.1, ...settings });
    ({ sim, deps } = made);
    clock = made.clock as ManualClock;
    cleanups.push(() => sim.close());
  }
  const poller = startPoller(deps);
  const finished: Operation[] = [];
  deps.notify.subscribe({ finished: (op) => void finished.push(op) });
  const { client, close } = await connectClient(deps);
  cleanups.push(close, () => poller.stop());
  return { sim, clock, deps, poller, finished, client };
}

/** Advances time in steps until the operation ends (or `maxMs` passes). */
async function runUntilDone(r: Rig, id: string, maxMs = 60 * 60_000, stepMs = 5_000): Promise<Operation> {
  for (let t = 0; t < maxMs; t += stepMs) {
    const op = await r.deps.store.getOperation(id);
    if (op && op.state !== 'running') return op;
    await r.clock.advance(stepMs);
  }
  return (await r.deps.store.getOperation(id)) as Operation;
}

async function start(r: Rig, tool: string, args: Record<string, unknown>): Promise<string> {
  const res = await call<ActionResult>(r.client, tool, args);
  expect(res.isError, res.text).toBe(false);
  expect(res.data.operation_id).toMatch(/^op_/);
  return res.data.operation_id as string;
}

describe('operations: each kind to success', () => {
  it.each([
    ['machine_deploy', { machines: 'web-01', distro_series: 'jammy' }, 'Deployed'],
    ['machine_commission', { machines: 'new-01' }, 'Ready'],
    ['machine_release', { machines: 'db-01' }, 'Ready'],
    ['machine_release', { machines: 'web-04', erase: true }, 'Ready'],
    ['machine_rescue', { machines: 'db-01', action: 'enter' }, 'Rescue mode'],
    ['machine_rescue', { machines: 'k8s-04', action: 'exit' }, 'Deployed'],
    ['machine_test', { machines: 'web-02' }, 'Ready'],
  ])('%s %o ends succeeded with the machine %s', async (tool, args, status) => {
    const r = await rig();
    const id = await start(r, tool, args);
    const op = await runUntilDone(r, id);
    expect(op.state).toBe('succeeded');
    expect(op.targets[0]?.status).toBe(status);
    expect(op.targets[0]?.history.length).toBeGreaterThan(1);
    expect(r.finished.map((o) => o.id)).toEqual([id]);
  });

  it('tracks power off and on by the power state', async () => {
    const r = await rig();
    const off = await start(r, 'machine_power_off', { machines: 'db-01' });
    expect((await runUntilDone(r, off)).state).toBe('succeeded');
    expect(node(r.sim, 'db-01').powerState).toBe('off');
    const on = await start(r, 'machine_power_on', { machines: 'db-01' });
    expect((await runUntilDone(r, on)).state).toBe('succeeded');
  });
});

describe('operations: failure and deadline', () => {
  it('fails naming the machine and MAAS’s reason, with the latest events', async () => {
    const r = await rig();
    const id0 = node(r.sim, 'web-01').systemId;
    r.sim.control.failTransition(id0, 'deploy');
    const id = await start(r, 'machine_deploy', { machines: ['web-01', 'web-02'] });
    const op = await runUntilDone(r, id);
    expect(op.state).toBe('partial');
    const bad = op.targets.find((t) => t.hostname === 'web-01');
    expect(bad?.result).toBe('failed');
    expect(bad?.status).toBe('Failed deployment');
    expect(bad?.error).toMatch(/fail/i);
    expect(bad?.events?.length).toBeGreaterThan(0);
    expect(op.targets.find((t) => t.hostname === 'web-02')?.result).toBe('succeeded');
  });

  it.each([
    ['machine_release', { machines: 'db-01' }, 'db-01', 'release', 'Releasing failed'],
    ['machine_release', { machines: 'web-04', erase: true }, 'web-04', 'erase', 'Failed disk erasing'],
    [
      'machine_rescue',
      { machines: 'db-01', action: 'enter' },
      'db-01',
      'rescue',
      'Failed to enter rescue mode',
    ],
    [
      'machine_rescue',
      { machines: 'k8s-04', action: 'exit' },
      'k8s-04',
      'exit_rescue',
      'Failed to exit rescue mode',
    ],
    ['machine_test', { machines: 'web-02' }, 'web-02', 'test', 'Failed testing'],
  ] as const)('%s %o fails when MAAS fails it (%s → %s)', async (tool, args, host, fault, status) => {
    const r = await rig();
    r.sim.control.failTransition(host, fault);
    const op = await runUntilDone(r, await start(r, tool, args));
    expect(op.state).toBe('failed');
    expect(op.targets[0]?.status).toBe(status);
    expect(op.targets[0]?.error).toBeTruthy();
    expect(r.finished.map((o) => o.id)).toEqual([op.id]);
  });

  it.each([
    ['machine_commission', { machines: 'new-01' }, 'commission', 'Commissioning'],
    ['machine_release', { machines: 'web-04', erase: true }, 'erase', 'Disk erasing'],
  ] as const)('%s %o times out at its own deadline', async (tool, args, kind, status) => {
    const r = await rig({ timeScale: 1, env: { MAAS_MCP_DEADLINES: `${kind}=1` } });
    const op = await runUntilDone(r, await start(r, tool, args), 5 * 60_000);
    expect(op.state).toBe('timed_out');
    expect(op.targets[0]?.error).toMatch(new RegExp(`^still ${status}`));
  });

  it('fails a commissioning whose tests fail', async () => {
    const r = await rig();
    r.sim.control.failTransition('new-02', 'commission');
    const op = await runUntilDone(r, await start(r, 'machine_commission', { machines: 'new-02' }));
    expect(op.state).toBe('failed');
    expect(op.targets[0]?.status).toBe('Failed commissioning');
  });

  it('times out at the kind’s deadline and says where the machine was', async () => {
    // A realistic pace (a deploy takes ~8 min) against a 1-minute deadline.
    const r = await rig({ timeScale: 1, env: { MAAS_MCP_DEADLINES: 'deploy=1' } });
    const op = await runUntilDone(r, await start(r, 'machine_deploy', { machines: 'web-01' }), 5 * 60_000);
    expect(op.state).toBe('timed_out');
    expect(op.targets[0]?.result).toBe('timed_out');
    expect(op.targets[0]?.error).toMatch(/^still Deploying/);
    expect(r.finished).toHaveLength(1);
  });
});

describe('the poller', () => {
  it('deploys 20 machines with one batched MAAS read per tick', async () => {
    const r = await rig({ machines: 80 });
    const ready = readyHosts(r.sim, 20);
    expect(ready).toHaveLength(20);
    const id = await start(r, 'machine_deploy', { machines: ready });
    r.sim.requests.clear();
    const report = await r.poller.tick();
    expect(report.requests).toBe(1);
    expect(report.machines).toBe(20);
    const reads = r.sim.requests.entries.filter(
      (e) => e.method === 'GET' && e.path === '/MAAS/api/2.0/machines/',
    );
    expect(reads).toHaveLength(1);
    expect(reads[0]?.query.filter(([k]) => k === 'id')).toHaveLength(20);
    const op = await runUntilDone(r, id);
    expect(op.state).toBe('succeeded');
    expect(op.targets.every((t) => t.status === 'Deployed')).toBe(true);
  });

  it('splits more than 100 machines into requests of at most 100 ids', async () => {
    const r = await rig({ machines: 1000 });
    const ready = readyHosts(r.sim);
    expect(ready.length).toBeGreaterThanOrEqual(180);
    const chunks = [ready.slice(0, 90), ready.slice(90, 180)];
    for (const c of chunks) await start(r, 'machine_deploy', { machines: c });
    r.sim.requests.clear();
    const report = await r.poller.tick();
    expect(report.machines).toBe(180);
    expect(report.requests).toBe(2);
    const reads = r.sim.requests.entries.filter((e) => e.path === '/MAAS/api/2.0/machines/');
    expect(reads.map((e) => e.query.filter(([k]) => k === 'id').length)).toEqual([100, 80]);
  });

  it('keeps waiting while MAAS is unreachable, and finishes when it is back', async () => {
    const r = await rig();
    const id = await start(r, 'machine_deploy', { machines: 'web-01' });
    r.sim.control.setNetwork({ down: true });
    for (let i = 0; i < 20; i++) await r.clock.advance(10_000);
    const during = await r.deps.store.getOperation(id);
    expect(during?.state).toBe('running');
    expect(during?.targets[0]?.result).toBe('pending');
    r.sim.control.setNetwork({ down: false });
    const op = await runUntilDone(r, id);
    expect(op.state).toBe('succeeded');
    expect(r.finished).toHaveLength(1);
  });

  it('treats 503 answers like an outage, not a failure', async () => {
    const r = await rig();
    const id = await start(r, 'machine_deploy', { machines: 'web-01' });
    maasUnavailable(r.sim, 12, 1);
    const op = await runUntilDone(r, id);
    expect(op.state).toBe('succeeded');
    expect(op.finished_at).toBeLessThan(op.deadline_at);
  });

  it('keeps a deadline while MAAS is unreachable: times out on time, saying MAAS could not be read', async () => {
    const r = await rig({ env: { MAAS_MCP_DEADLINES: 'deploy=10' }, timeScale: 100 });
    const id = await start(r, 'machine_deploy', { machines: 'web-01' });
    const started = (await r.deps.store.getOperation(id)) as Operation;
    // MAAS goes away 5 minutes before the deadline: the backoff has long reached its 60 s cap by then.
    await r.clock.advance(5 * 60_000);
    r.sim.control.setNetwork({ down: true });
    for (let i = 0; i < 7 * 60; i++) await r.clock.advance(1_000);
    const op = (await r.deps.store.getOperation(id)) as Operation;
    expect(op.state).toBe('timed_out');
    expect((op.finished_at as number) - started.deadline_at).toBeLessThanOrEqual(1_000);
    expect(op.targets[0]?.error).toMatch(/^last seen Deploying.*; MAAS could not be read at the deadline: /);
    expect(r.finished.map((o) => o.id)).toEqual([id]);
  });

  it('checks at the deadline even when MAAS came back during a long backoff', async () => {
    const r = await rig({ env: { MAAS_MCP_DEADLINES: 'deploy=10' }, timeScale: 100 });
    const id = await start(r, 'machine_deploy', { machines: 'web-01' });
    const started = (await r.deps.store.getOperation(id)) as Operation;
    await r.clock.advance(5 * 60_000);
    // Eight failed reads in a row (the case), and MAAS answers again 10 s before the deadline.
    r.sim.control.setNetwork({ down: true });
    await r.clock.advance(started.deadline_at - 10_000 - r.clock.now());
    r.sim.control.setNetwork({ down: false });
    for (let i = 0; i < 3 * 60; i++) await r.clock.advance(1_000);
    const op = (await r.deps.store.getOperation(id)) as Operation;
    expect(op.state).toBe('timed_out');
    expect((op.finished_at as number) - started.deadline_at).toBeLessThanOrEqual(1_000);
    expect(op.targets[0]?.error).toMatch(/^still Deploying/);
  });

  it('sends each completion notice once, even with two pollers on one store', async () => {
    const r = await rig();
    const second = new Poller(r.deps);
    second.start();
    cleanups.push(() => second.stop());
    const id = await start(r, 'machine_release', { machines: 'db-01' });
    await runUntilDone(r, id);
    for (let i = 0; i < 10; i++) await r.clock.advance(5_000);
    expect(r.finished.map((o) => o.id)).toEqual([id]);
  });

  it('resumes after a restart (even a kill -9) and sends the notice exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maas-mcp-restart-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'ops.db');
    const clock = new ManualClock();
    const sim = createSimulator({ clock, timeScale: 0.1 });
    cleanups.push(() => sim.close());

    const storeA = SqliteStore.open(file, { now: () => clock.now() });
    const a = await rig({ restart: { sim, clock }, store: storeA });
    const id = await start(a, 'machine_deploy', { machines: ['web-01', 'web-02'] });
    await clock.advance(10_000);
    // "kill -9": the first process just stops existing — no cleanup, no final write.
    a.poller.stop();
    expect((await storeA.getOperation(id))?.state).toBe('running');

    const storeB = SqliteStore.open(file, { now: () => clock.now() });
    cleanups.push(() => storeB.close());
    const b = await rig({ restart: { sim, clock }, store: storeB });
    const op = await runUntilDone(b, id);
    expect(op.state).toBe('succeeded');
    expect(a.finished).toHaveLength(0);
    expect(b.finished.map((o) => o.id)).toEqual([id]);
    await storeA.close();
  });

  it('delivers a notice whose sender died while sending, once its lease has run out', async () => {
    const r = await rig();
    const id = await start(r, 'machine_release', { machines: 'db-01' });
    const op = (await r.deps.store.getOperation(id)) as Operation;
    op.state = 'succeeded';
    op.finished_at = r.clock.now();
    for (const t of op.targets) t.result = 'succeeded';
    await r.deps.store.updateOperation(op);
    // Another process took the notice and died before settling it.
    const now = r.clock.now();
    expect(await r.deps.store.claimNotice(id, now, now + NOTICE_LEASE_MS)).toBe(true);
    await r.poller.tick();
    expect(r.finished).toEqual([]);
    await r.clock.advance(NOTICE_LEASE_MS);
    await r.poller.tick();
    expect(r.finished.map((o) => o.id)).toEqual([id]);
    expect((await r.deps.store.getOperation(id))?.notice_sent_at).not.toBeNull();
  });

  it('delivers a notice a crash held back between finishing and notifying', async () => {
    const r = await rig();
    const id = await start(r, 'machine_release', { machines: 'db-01' });
    const op = (await r.deps.store.getOperation(id)) as Operation;
    // Simulate a process that stored the final state and died before claiming the notice.
    op.state = 'succeeded';
    op.finished_at = r.clock.now();
    for (const t of op.targets) t.result = 'succeeded';
    await r.deps.store.updateOperation(op);
    await r.poller.tick();
    expect(r.finished.map((o) => o.id)).toEqual([id]);
  });
});
