/**
 * `maas-mcp stdio` as Claude Desktop runs it, spoken to by the official v2 client in both protocol eras: nothing
 * but protocol on stdout, and the same life-cycle as over HTTP (reads, a deploy the person confirms, progress, a
 * subscription, a task).
 */
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { call } from '../helpers.ts';
import {
  acceptEveryConfirmation,
  clientOptions,
  confirmedDeploy,
  expectProgress,
  reads,
  runTask,
  subscribeAndHear,
  transportDispatch,
} from '../lifecycle.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Starts `maas-mcp stdio --demo` (a simulated fleet that moves 500 times faster than MAAS). */
function start(env: Record<string, string> = {}) {
  const transport = new StdioClientTransport({
    command: 'npx',
    args: ['--no-install', 'maas-mcp', 'stdio', '--demo', '--time-scale', '0.002'],
    cwd: root,
    stderr: 'pipe',
    env: { ...process.env, PATH: process.env.PATH ?? '', ...env } as Record<string, string>,
  });
  // A line on stdout that is not a JSON-RPC message (a banner, a stray console.log) is reported through the
  // transport's onerror. Set before connecting: Client.connect keeps this handler and chains its own.
  const errs: Error[] = [];
  transport.onerror = (e) => void errs.push(e);
  return { transport, errs };
}

/** Waits until `done` says so (the process's own poller moves things on), or fails after 40 s. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 40_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('nothing happened in 40 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('maas-mcp stdio', () => {
  it('answers a destructive call from a client that cannot be asked with a confirm token', async () => {
    const { transport, errs } = start({ MAAS_MCP_CONFIRM: 'auto' });
    const client = new Client({ name: 'stdio-test', version: '1' });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()?.name).toBe('maas-mcp');
      const held = await call<{ status: string; confirm_token?: string }>(client, 'machine_release', {
        machines: 'db-01',
      });
      expect(held.data.status).toBe('confirmation_required');
      expect(held.data.confirm_token).toMatch(/^mmc_/);
    } finally {
      await client.close();
    }
    expect(errs).toEqual([]);
  }, 30_000);

  it.each([
    ['2026-07-28', true],
    ['2025-11-25', false],
  ])(
    'takes a %s client through reads, a confirmed deploy, progress, a subscription and a task',
    async (version, modern) => {
      const { transport, errs } = start();
      const client = new Client({ name: 'stdio-test', version: '1' }, clientOptions(modern));
      const asked = acceptEveryConfirmation(client);
      await client.connect(transport);
      try {
        expect(client.getNegotiatedProtocolVersion()).toBe(version);
        await reads(client);
        const { id } = await confirmedDeploy(client, asked, 'web-01');
        await subscribeAndHear(client, modern, `maas://operations/${id}`, (heard) => until(heard));
        const { progress } = await confirmedDeploy(client, asked, 'web-02', { wait: true });
        expectProgress(progress);
        const task = await runTask(
          client,
          modern,
          'machine_commission',
          { machines: 'new-01' },
          (ended) => until(ended),
          transportDispatch(transport as never),
        );
        expect(task.taskId).toMatch(/^op_/);
        expect(task.result.structuredContent).toMatchObject({
          status: 'done',
          operation: { state: 'succeeded' },
        });
      } finally {
        await client.close();
      }
      expect(errs).toEqual([]);
    },
    60_000,
  );
});
