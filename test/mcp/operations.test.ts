import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/base/clock.ts';
import type { Principal } from '../../src/core/access.ts';
import type { Deps } from '../../src/core/deps.ts';
import type { OperationView } from '../../src/core/operations/view.ts';
import type { ActionResult } from '../../src/core/result.ts';
import { NodeStatus as S } from '../../src/maas/status.ts';
import { ADMIN, call, connectClient, drive, node, simDeps, startPoller } from '../helpers.ts';
import { legacyTasks } from '../task-scenarios.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(env: Record<string, string> = {}, principal: Principal = ADMIN, timeScale = 0.1) {
  const { sim, deps, clock } = simDeps({ timeScale, env: { MAAS_MCP_CONFIRM: 'off', ...env } });
  const poller = startPoller(deps);
  const { client, close } = await connectClient(deps, { principal });
  cleanups.push(
    () => sim.close(),
    () => poller.stop(),
    close,
  );
  return { sim, clock: clock as ManualClock, deps, client, poller };
}

/** The text of a resource's first content (these resources are JSON text, never blobs). */
function textOf(c: { text: string } | { blob: string } | undefined): string {
  return c && 'text' in c ? c.text : '';
}

async function opState(deps: Deps, id: string) {
  return (await deps.store.getOperation(id))?.state;
}

describe('waiting on a long tool', () => {
  it('streams progress notifications to a real MCP client until the deploy finishes', async () => {
    const { client, clock } = await rig();
    const progress: { progress: number; total?: number; message?: string }[] = [];
    const res = await drive(
      clock,
      client.callTool(
        {
          name: 'machine_deploy',
          arguments: { machines: ['web-01', 'web-02'], wait: true, wait_timeout_s: 900 },
        },
        { onprogress: (p) => progress.push(p), timeout: 10 * 60_000 },
      ),
    );
    const out = res.structuredContent as ActionResult;
    expect(out.operation?.state).toBe('succeeded');
    expect(out.note).toMatch(/succeeded: 2 of 2 Deployed/);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toMatchObject({ progress: 2, total: 2 });
    expect(progress.some((p) => /Installing OS|Deploying/.test(p.message ?? ''))).toBe(true);
  });

  it('gives up waiting after wait_timeout_s and answers with the operation id and where it stands', async () => {
    const { client, clock, deps } = await rig();
    const res = await drive(
      clock,
      call<ActionResult>(client, 'machine_deploy', { machines: 'web-01', wait: true, wait_timeout_s: 5 }),
      1_000,
    );
    expect(res.isError).toBe(false);
    expect(res.data.operation?.state).toBe('running');
    expect(res.data.note).toBe(
      `Still going after 5 s. Keep following it with operation_get (id "${res.data.operation_id}", wait: true), or run the call as an MCP task; a notice follows when it ends.`,
    );
    expect(await opState(deps, res.data.operation_id as string)).toBe('running');
  });

  it('waits at most 50 s in one call, before an MCP client’s 60 s timeout, and says how to keep following', async () => {
    // At MAAS's own pace a deploy takes minutes.
    const { client, clock, deps } = await rig({}, ADMIN, 1);
    const start = clock.now();
    const res = await drive(
      clock,
      call<ActionResult>(client, 'machine_deploy', { machines: 'web-01', wait: true, wait_timeout_s: 900 }),
    );
    const waited = clock.now() - start;
    expect(waited).toBeGreaterThanOrEqual(50_000);
    expect(waited).toBeLessThan(60_000);
    const id = res.data.operation_id as string;
    expect(res.data.operation?.state).toBe('running');
    expect(res.data.note).toContain('Still going after 50 s (one call waits at most 50 s');
    expect(res.data.note).toContain(`operation_get (id "${id}", wait: true)`);
    // operation_get waits no longer, and says the same.
    const got = await drive(
      clock,
      call<{ operation: OperationView; note?: string }>(client, 'operation_get', {
        id,
        wait: true,
        wait_timeout_s: 900,
      }),
    );
    expect(got.data.operation.state).toBe('running');
    expect(got.data.note).toContain('Still going after 50 s');
    expect(got.text).toContain('Keep following it with operation_get');
    expect(await opState(deps, id)).toBe('running');
  });

  it('answers at once without wait, with the operation id', async () => {
    const { client, deps } = await rig();
    const res = await call<ActionResult>(client, 'machine_deploy', { machines: 'web-01' });
    expect(res.data.operation_id).toMatch(/^op_/);
    expect(res.data.operation).toBeUndefined();
    expect(res.text).toContain('Operation op_');
    expect(await opState(deps, res.data.operation_id as string)).toBe('running');
  });
});

describe('operation tools', () => {
  it('lists, reads (waiting) and filters operations', async () => {
    const { client, clock } = await rig();
    const a = (await call<ActionResult>(client, 'machine_deploy', { machines: 'web-01' })).data
      .operation_id as string;
    await call<ActionResult>(client, 'machine_release', { machines: 'db-01' });
    const list = await call<{ operations: { id: string; kind: string }[] }>(client, 'operations_list', {
      kind: 'deploy',
    });
    expect(list.data.operations.map((o) => o.id)).toEqual([a]);
    const byMachine = await call<{ operations: { id: string }[] }>(client, 'operations_list', {
      machine: 'web-01',
    });
    expect(byMachine.data.operations.map((o) => o.id)).toEqual([a]);
    const got = await drive(
      clock,
      call<{ operation: OperationView }>(client, 'operation_get', { id: a, wait: true, wait_timeout_s: 900 }),
    );
    expect(got.data.operation.state).toBe('succeeded');
    expect(got.text).toContain('web-01');
  });

  it('stops tracking on cancel while MAAS carries on', async () => {
    const { client, deps, sim } = await rig();
    const id = (await call<ActionResult>(client, 'machine_deploy', { machines: 'web-01' })).data
      .operation_id as string;
    const res = await call<{ operation: OperationView }>(client, 'operation_cancel', { id });
    expect(res.data.operation.state).toBe('cancelled');
    expect(await opState(deps, id)).toBe('cancelled');
    expect(node(sim, 'web-01').status).toBe(S.DEPLOYING);
  });

  it('asks for confirmation before aborting in MAAS, then aborts and cancels', async () => {
    const { client, deps, sim } = await rig({ MAAS_MCP_CONFIRM: 'token' });
    const tokenless = (await call<ActionResult>(client, 'machine_deploy', { machines: 'web-01' })).data;
    const deployed = await call<ActionResult>(client, 'machine_deploy', {
      machines: 'web-01',
      confirm_token: tokenless.confirm_token,
    });
    const id = deployed.data.operation_id as string;
    const held = await call<{ abort: ActionResult }>(client, 'operation_cancel', { id, abort: true });
    expect(held.data.abort.status).toBe('confirmation_required');
    expect(await opState(deps, id)).toBe('running');
    const done = await call<{ operation: OperationView; abort: ActionResult }>(client, 'operation_cancel', {
      id,
      abort: true,
      confirm_token: held.data.abort.confirm_token,
    });
    expect(done.data.abort.status).toBe('done');
    expect(done.data.operation.state).toBe('cancelled');
    expect(node(sim, 'web-01').status).toBe(S.ALLOCATED);
  });

  it('refuses to cancel someone else’s operation unless admin', async () => {
    const { client, deps } = await rig();
    const id = (await call<ActionResult>(client, 'machine_deploy', { machines: 'web-01' })).data
      .operation_id as string;
    const other = await connectClient(deps, { principal: { id: 'olga', role: 'operator', via: 'mcp' } });
    cleanups.push(other.close);
    const res = await call(other.client, 'operation_cancel', { id });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('only they or an admin can cancel it');
  });
});

describe('resources, subscriptions and the completion log message', () => {
  it('tells a subscribed client when the operation and its machine change, and logs the outcome', async () => {
    const { client, clock } = await rig();
    const updates: string[] = [];
    const logs: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => void updates.push(n.params.uri));
    client.setNotificationHandler('notifications/message', (n) => void logs.push(String(n.params.data)));
    const res = await call<ActionResult>(client, 'machine_deploy', { machines: 'web-01' });
    const id = res.data.operation_id as string;
    const machineUri = `maas://machines/${res.data.succeeded[0]?.system_id}`;
    await client.subscribeResource({ uri: `maas://operations/${id}` });
    await client.subscribeResource({ uri: machineUri });
    await drive(
      clock,
      (async () => {
        while (!logs.length) await new Promise((r) => setTimeout(r, 5));
      })(),
    );
    expect(updates).toContain(`maas://operations/${id}`);
    expect(updates).toContain(machineUri);
    expect(logs[0]).toMatch(new RegExp(`deploy ${id} succeeded: 1 of 1 Deployed`));
    const read = await client.readResource({ uri: `maas://operations/${id}` });
    expect(JSON.parse(textOf(read.contents[0])).state).toBe('succeeded');
    const listed = await client.listResources();
    expect(listed.resources.map((r) => r.uri)).toContain(`maas://operations/${id}`);
    const machine = await client.readResource({ uri: machineUri });
    expect(JSON.parse(textOf(machine.contents[0])).machine.status).toBe('Deployed');
  });
});

describe('MCP tasks', () => {
  it('gives a task-aware client a task handle backed by the operation', async () => {
    const { client, clock, deps } = await rig();
    const created = {
      task: await legacyTasks(client).create('machine_deploy', { machines: 'web-01' }, { ttl: 3_600_000 }),
    };
    const taskId = created.task.taskId;
    expect(created.task.status).toBe('working');
    expect((await deps.store.getOperation(taskId))?.kind).toBe('deploy');
    const listed = await legacyTasks(client).list();
    expect(listed.tasks.map((t) => t.taskId)).toContain(taskId);
    let status = created.task.status;
    for (let i = 0; i < 200 && status === 'working'; i++) {
      await clock.advance(5_000);
      status = (await legacyTasks(client).get(taskId)).status;
    }
    expect(status).toBe('completed');
    const result = await legacyTasks(client).result(taskId);
    expect((result.structuredContent as { operation: OperationView }).operation.state).toBe('succeeded');
  });

  it('answers a plain call of a task-capable tool right away, as if tasks did not exist', async () => {
    const { client, deps } = await rig();
    const res = await call<ActionResult>(client, 'machine_release', { machines: 'db-01' });
    expect(res.data.status).toBe('done');
    expect(await opState(deps, res.data.operation_id as string)).toMatch(/running|succeeded/);
  });

  it('hands a task a finished result when nothing is left to track (a confirmation request)', async () => {
    const { client } = await rig({ MAAS_MCP_CONFIRM: 'token' });
    const created = { task: await legacyTasks(client).create('machine_release', { machines: 'db-01' }, {}) };
    expect(created.task.status).toBe('completed');
    const result = await legacyTasks(client).result(created.task.taskId);
    expect((result.structuredContent as ActionResult).status).toBe('confirmation_required');
  });

  it('stops tracking when a task is cancelled', async () => {
    const { client, deps } = await rig();
    const created = { task: await legacyTasks(client).create('machine_deploy', { machines: 'web-01' }, {}) };
    await legacyTasks(client).cancel(created.task.taskId);
    expect(await opState(deps, created.task.taskId)).toBe('cancelled');
  });

  it('keeps one principal’s tasks from another', async () => {
    const { client, deps } = await rig();
    const created = { task: await legacyTasks(client).create('machine_deploy', { machines: 'web-01' }, {}) };
    const other = await connectClient(deps, { principal: { id: 'olga', role: 'admin', via: 'mcp' } });
    cleanups.push(other.close);
    await expect(legacyTasks(other.client).get(created.task.taskId)).rejects.toThrow(/not found/i);
  });
});
