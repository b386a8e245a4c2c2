/**
 * Operation progress built one way (operationProgress), status facts reused from maas/status.ts (judge), and a
 * poller tick that carries its next due time instead of re-reading the store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/base/clock.ts';
import { judge } from '../../src/core/operations/kinds.ts';
import { Poller } from '../../src/core/operations/poller.ts';
import { operationProgress, waitForOperation } from '../../src/core/operations/service.ts';
import type { ActionResult } from '../../src/core/result.ts';
import type { MachineSummary } from '../../src/maas/schemas.ts';
import { ALL_STATUSES, isFailed, NodeStatus as S } from '../../src/maas/status.ts';
import type { Operation } from '../../src/store/types.ts';
import { call, connectClient, simDeps } from '../helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig() {
  const { sim, deps, clock } = simDeps({ env: { MAAS_MCP_CONFIRM: 'off' } });
  cleanups.push(() => sim.close());
  const { client, close } = await connectClient(deps);
  cleanups.push(close);
  return { sim, deps, clock: clock as ManualClock, client };
}

async function deploy(client: Awaited<ReturnType<typeof rig>>['client'], machines: string[]) {
  const res = await call<ActionResult>(client, 'machine_deploy', { machines });
  expect(res.isError, res.text).toBe(false);
  return res.data.operation_id as string;
}

describe('operationProgress', () => {
  it('counts finished machines and says what the first one still going is doing', async () => {
    const { deps, client } = await rig();
    const id = await deploy(client, ['web-01', 'web-02']);
    const op = (await deps.store.getOperation(id)) as Operation;
    const [first, second] = op.targets as [Operation['targets'][number], Operation['targets'][number]];
    const halfway: Operation = {
      ...op,
      targets: [
        { ...first, result: 'succeeded', status: 'Deployed' },
        { ...second, status: 'Deploying', status_message: 'Installing OS' },
      ],
    };
    expect(operationProgress(halfway)).toEqual({
      progress: 1,
      total: 2,
      message: `deploy ${id} running: 1 of 2 Deployed, 1 still going; web-02 Deploying: Installing OS`,
    });
  });

  it('reports a call held for approval as nothing done yet, without a machine "doing" anything', async () => {
    const { deps, client } = await rig();
    const id = await deploy(client, ['web-01']);
    const op = (await deps.store.getOperation(id)) as Operation;
    const p = operationProgress({ ...op, state: 'awaiting_approval' });
    expect(p).toMatchObject({ progress: 0, total: 1 });
    expect(p.message).toBe(`deploy ${id} awaiting_approval: 0 of 1 Deployed, 1 still going`);
  });
});

describe('judge', () => {
  const m = (status: number) => ({ status, power_state: 'on' }) as MachineSummary;

  it('fails a test or a rescue exit exactly on the failed statuses', () => {
    for (const s of ALL_STATUSES) {
      if (s === S.TESTING) continue;
      expect(judge('test', m(s)), `status ${s}`).toBe(isFailed(s) ? 'failed' : 'succeeded');
    }
    expect(judge('rescue_exit', m(S.FAILED_EXITING_RESCUE_MODE))).toBe('failed');
    expect(judge('rescue_exit', m(S.DEPLOYED))).toBe('succeeded');
  });

  it('keeps an abort pending while the machine is in an abortable status', () => {
    for (const s of [S.DISK_ERASING, S.COMMISSIONING, S.DEPLOYING, S.TESTING]) {
      expect(judge('abort', m(s))).toBe('pending');
    }
    expect(judge('abort', m(S.ALLOCATED))).toBe('succeeded');
    expect(judge('abort', m(S.FAILED_DISK_ERASING))).toBe('succeeded');
  });
});

describe('the poller', () => {
  it('says when it is next due from what its tick read, without reading the store again', async () => {
    const { deps, clock, client } = await rig();
    await deploy(client, ['web-01']);
    const poller = new Poller(deps, { fastMs: 2_000 });
    const reads = { running: 0, listed: 0 };
    const store = deps.store;
    const running = store.runningOperations.bind(store);
    const listed = store.listOperations.bind(store);
    store.runningOperations = () => {
      reads.running++;
      return running();
    };
    store.listOperations = (q) => {
      reads.listed++;
      return listed(q);
    };
    const report = await poller.tick();
    expect(report.operations).toBe(1);
    expect(report.nextDueAt).toBe(clock.now() + 2_000);
    const afterTick = { ...reads };
    expect(poller.nextDelay(report)).toBe(2_000);
    expect(reads).toEqual(afterTick);
  });

  it('is idle when nothing is tracked', async () => {
    const { deps } = await rig();
    const poller = new Poller(deps);
    const report = await poller.tick();
    expect(report.nextDueAt).toBeUndefined();
    expect(poller.nextDelay(report)).toBeUndefined();
  });
});

describe('waitForOperation', () => {
  it('never reports an older version after a newer one (a re-read that raced the news)', async () => {
    const { deps, clock, client } = await rig();
    const id = await deploy(client, ['web-01']);
    const running = (await deps.store.getOperation(id)) as Operation;
    // The store answers every re-read with the operation as it was when the wait began.
    const store = { ...deps.store, getOperation: async () => structuredClone(running) };
    const seen: number[] = [];
    const waiting = waitForOperation({ ...deps, store } as typeof deps, id, {
      timeoutMs: 30_000,
      onProgress: (op) => void seen.push(op.version),
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    // News of a later version arrives first, then re-reads answer the stale one.
    await deps.notify.progress({
      ...running,
      version: running.version + 2,
      updated_at: running.updated_at + 1,
    });
    await clock.advance(10_000);
    await deps.notify.progress({ ...running, version: running.version + 3, state: 'succeeded' });
    await waiting;
    expect(seen).toEqual([running.version + 2, running.version + 3]);
  });
});
