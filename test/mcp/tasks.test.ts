/**
 * 2025-11-25's MCP tasks on Node, as SDK 1.x's task API drove them (`task: { ttl }` on tools/call, then polling;
 * test/task-scenarios.ts sends the same over the official v2 client): every long tool ends with its own answer,
 * valid against its outputSchema; tasks that end at once are listed and never pose as operations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/base/clock.ts';
import type { ActionResult } from '../../src/core/result.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';
import { ADMIN, connectClient, drive, simDeps, startPoller } from '../helpers.ts';
import { legacyTasks, runAsTask, runScenario, TASK_SCENARIOS } from '../task-scenarios.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(env: Record<string, string> = {}) {
  const { sim, deps, clock } = simDeps({
    timeScale: 0.1,
    env: { MAAS_MCP_CONFIRM: 'token', MAAS_MCP_TOOLSETS: 'all', ...env },
  });
  const poller = startPoller(deps);
  const { client, close } = await connectClient(deps, { principal: ADMIN, taskPollMs: 1 });
  cleanups.push(
    () => sim.close(),
    () => poller.stop(),
    close,
  );
  // The client validates answers against the output schemas it was shown.
  await client.listTools();
  return { sim, clock: clock as ManualClock, deps, client };
}

const LONG_TOOLS = ALL_TOOLS.filter((t) => t.long);

describe('every long tool as an MCP task', () => {
  it('has a scenario for each long tool in the registry', () => {
    expect(Object.keys(TASK_SCENARIOS).sort()).toEqual(LONG_TOOLS.map((t) => t.name).sort());
  });

  it.each(LONG_TOOLS.map((t) => [t.name, t] as const))(
    '%s ends with the tool’s own answer and the operation as it ended',
    async (name, tool) => {
      const { client, clock, deps } = await rig();
      const { preview, run } = await drive(clock, runScenario(client, name), 1_000);
      if (tool.annotations.destructiveHint) {
        // The preview ended at once: a task of its own that is no operation.
        expect(preview?.created?.taskId).toMatch(/^task_/);
        expect(await deps.store.getOperation(preview?.created?.taskId ?? '')).toBeUndefined();
        // The confirmation request, answered as a task, is one of the tool's own answers too.
        const held = tool.output.parse(preview?.result?.structuredContent) as ActionResult;
        expect(held.status).toBe('confirmation_required');
      }
      expect(run.error).toBeUndefined();
      expect(run.created?.taskId).toMatch(/^op_/);
      expect(run.statuses.at(-1)).toBe('completed');
      if (name === 'workflow_run') {
        // A workflow's answer is its run, as it ended.
        const ended = tool.output.parse(run.result?.structuredContent) as {
          run: { id: string; state: string };
          note: string;
        };
        expect(ended.run).toMatchObject({ id: run.created?.taskId, state: 'succeeded' });
        expect(ended.note).toMatch(/succeeded: 1 of 1 host done/);
        return;
      }
      const out = tool.output.parse(run.result?.structuredContent) as ActionResult;
      expect(out.status).toBe('done');
      expect(out.operation_id).toBe(run.created?.taskId);
      expect(out.operation?.state).toBe('succeeded');
      expect(out.note).toMatch(/succeeded: 1 of 1/);
      expect(run.result?.isError).toBeFalsy();
      expect(run.result?.content[0]).toMatchObject({
        type: 'text',
        text: expect.stringContaining(out.summary),
      });
    },
  );
});

describe('tasks that end at once', () => {
  it('lists a confirmation request and a refusal under task ids, beside a task that follows an operation', async () => {
    const { client, deps } = await rig();
    const preview = await runAsTask(client, 'machine_release', { machines: 'db-01' });
    const refused = await runAsTask(client, 'machine_deploy', { machines: 'web-03' });
    const running = {
      task: await legacyTasks(client).create('machine_commission', { machines: 'new-01' }, { ttl: 60_000 }),
    };
    expect((preview.result?.structuredContent as ActionResult | undefined)?.status).toBe(
      'confirmation_required',
    );
    expect(refused.statuses.at(-1)).toBe('failed');
    const ids = [preview.created?.taskId ?? '', refused.created?.taskId ?? ''];
    for (const id of ids) {
      expect(id).toMatch(/^task_/);
      expect(await deps.store.getOperation(id)).toBeUndefined();
    }
    expect(running.task.taskId).toMatch(/^op_/);
    expect((await deps.store.getOperation(running.task.taskId))?.state).toBe('running');
    const listed = await legacyTasks(client).list();
    expect(listed.tasks.map((t) => t.taskId)).toEqual([running.task.taskId, ...[...ids].reverse()]);
    const byId = new Map(listed.tasks.map((t) => [t.taskId, t]));
    expect(byId.get(ids[0] ?? '')).toMatchObject({
      status: 'completed',
      statusMessage: expect.stringMatching(/confirm/i),
    });
    expect(byId.get(ids[1] ?? '')).toMatchObject({
      status: 'failed',
      statusMessage: expect.stringContaining('web-03'),
    });
    // The refusal's answer is still there to read, as the tool gave it.
    const answer = await legacyTasks(client).result(ids[1] ?? '');
    expect(answer.isError).toBe(true);
  });
});
