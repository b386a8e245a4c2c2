/**
 * Both protocol eras through the Worker inside workerd, with the official v2 client. A 2026-07-28 client goes
 * through the whole life-cycle statelessly — a destructive call confirmed interactively through input_required
 * (any isolate takes the answer: the state is sealed), a listen stream held by the Durable Object where the
 * poller's news are, progress while a call waits, a task of the tasks extension. A 2025 client keeps what it had:
 * confirm tokens, progress, 2025's tasks (test/worker/tasks.test.ts).
 */
import { SELF } from 'cloudflare:test';
import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import {
  acceptEveryConfirmation,
  confirmedDeploy,
  expectProgress,
  httpDispatch,
  reads,
  runTask,
  subscribeAndHear,
} from '../lifecycle.ts';
import { type ActionAnswer, call, connect, runAlarmsUntil } from './helpers.ts';

/** Runs the Durable Object's alarm (the poller) until `done`, as the runtime would. */
const ticksUntil = (done: () => boolean) => runAlarmsUntil(async () => done(), 30_000);

describe('a 2026-07-28 client on the Worker', () => {
  it('reads, deploys after the person confirmed through input_required, listens, waits with progress, and runs a task', async () => {
    const client: Client = await connect({ modern: true, capabilities: { elicitation: { form: {} } } });
    const asked = acceptEveryConfirmation(client);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      await reads(client);

      const { id } = await confirmedDeploy(client, asked, 'web-01');
      await subscribeAndHear(client, true, `maas://operations/${id}`, (heard) => ticksUntil(heard));

      const { progress } = await confirmedDeploy(client, asked, 'web-02', { wait: true, drive: ticksUntil });
      expectProgress(progress);

      const task = await runTask(
        client,
        true,
        'machine_commission',
        { machines: 'new-01' },
        (ended) => ticksUntil(ended),
        httpDispatch('http://127.0.0.1/mcp', (input, init) => SELF.fetch(input as string, init)),
      );
      expect(task.taskId).toMatch(/^op_/);
      expect(task.result.structuredContent).toMatchObject({
        status: 'done',
        operation: { state: 'succeeded' },
      });
    } finally {
      await client.close();
    }
  }, 90_000);
});

describe('a 2025-11-25 client on the Worker', () => {
  it('confirms with a token, and sees progress while a call waits', async () => {
    const client = await connect();
    try {
      const args = { machines: 'web-04', stop_mode: 'hard', wait: true };
      const preview = await call<ActionAnswer>(client, 'machine_power_off', args);
      expect(preview.data.status, preview.text).toBe('confirmation_required');
      const progress: number[] = [];
      let ended = false;
      const waiting = client
        .callTool(
          {
            name: 'machine_power_off',
            arguments: { ...args, confirm_token: preview.data.confirm_token },
          },
          { onprogress: (p) => void progress.push(p.progress), timeout: 60_000 },
        )
        .finally(() => {
          ended = true;
        });
      const [res] = await Promise.all([waiting, ticksUntil(() => ended)]);
      expect(res.structuredContent, JSON.stringify(res.content)).toMatchObject({ status: 'done' });
      expectProgress(progress);
    } finally {
      await client.close();
    }
  }, 60_000);
});
