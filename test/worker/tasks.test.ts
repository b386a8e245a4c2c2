/**
 * MCP on Workers, as a 2025 task-aware client uses it: every long tool run as a 2025-11-25 task (`task: { ttl }`,
 * then polling, as SDK 1.x's `callToolStream` did) ends with the tool's own answer (valid against its
 * outputSchema), while the Durable Object's alarm polls MAAS. And the Worker advertises only what it can do
 * without a session.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/core/result.ts';
import { ALL_TOOLS } from '../../src/tools/index.ts';
import { legacyTasks, longToolsOn, runScenario, TASK_SCENARIOS } from '../task-scenarios.ts';
import { connect, runAlarmsUntil } from './helpers.ts';

let client: Client;
beforeAll(async () => {
  client = await connect();
  // The client validates answers against the output schemas it was shown.
  await client.listTools();
});
afterAll(async () => {
  await client.close();
});

const LONG_TOOLS = ALL_TOOLS.filter((t) => longToolsOn(ALL_TOOLS, 'worker').includes(t.name));

describe('MCP tasks on Workers', () => {
  it('runs every long tool as a task to the tool’s own answer, with the operation as it ended', async () => {
    expect(
      Object.keys(TASK_SCENARIOS)
        .filter((n) => LONG_TOOLS.some((t) => t.name === n))
        .sort(),
    ).toEqual(LONG_TOOLS.map((t) => t.name).sort());
    let finished = 0;
    const runs = Promise.all(
      LONG_TOOLS.map(async (tool) => {
        try {
          return { tool, ...(await runScenario(client, tool.name)) };
        } finally {
          finished++;
        }
      }),
    );
    // The alarm is the poller: run it until every task has ended.
    await runAlarmsUntil(async () => finished === LONG_TOOLS.length, 60_000);
    const taskIds: string[] = [];
    for (const { tool, preview, run } of await runs) {
      const what = `${tool.name}: ${run.error?.message ?? ''}`;
      expect(run.error, what).toBeUndefined();
      expect(run.statuses.at(-1), what).toBe('completed');
      const out = tool.output.parse(run.result?.structuredContent) as ActionResult;
      expect(out.operation_id, what).toBe(run.created?.taskId);
      expect(out.operation?.state, what).toBe('succeeded');
      taskIds.push(run.created?.taskId ?? '');
      if (preview) {
        // A destructive tool's preview ended at once, as a task of its own that is no operation.
        expect((preview.result?.structuredContent as ActionResult | undefined)?.status).toBe(
          'confirmation_required',
        );
        expect(preview.created?.taskId, tool.name).toMatch(/^task_/);
        taskIds.push(preview.created?.taskId ?? '');
      }
    }
    // tasks/list, answered by another isolate's server from the Durable Object's records, shows them all.
    const listed = new Set((await legacyTasks(client).list()).tasks.map((t) => t.taskId));
    for (const id of taskIds) expect(listed, id).toContain(id);
  }, 90_000);
});

describe('capabilities on Workers', () => {
  it('advertises tasks and resources, but neither subscriptions nor logging, and refuses a subscription', async () => {
    const caps = client.getServerCapabilities();
    expect(caps?.tasks?.requests?.tools?.call).toBeDefined();
    expect(caps?.resources).toBeDefined();
    expect(caps?.resources?.subscribe).toBeUndefined();
    expect(caps?.logging).toBeUndefined();
    await expect(client.subscribeResource({ uri: 'maas://operations/op_x' })).rejects.toThrow();
  });
});
