/**
 * Both protocol eras against one server on Node HTTP (127.0.0.1), each with the official v2 client: a 2026-07-28
 * client (no session, confirmation through input_required, listen, the tasks extension) and a 2025-11-25 one
 * (a session, pushed elicitation, resources/subscribe, 2025's tasks) go through the same life-cycle.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/base/clock.ts';
import type { Poller } from '../../src/core/operations/poller.ts';
import { NodeStatus } from '../../src/maas/status.ts';
import { createApp } from '../../src/server.ts';
import type { Simulator } from '../../src/sim/index.ts';
import { ADMIN, readyHosts, simDeps, startPoller } from '../helpers.ts';
import {
  acceptEveryConfirmation,
  clientOptions,
  confirmedDeploy,
  expectProgress,
  httpDispatch,
  reads,
  runTask,
  subscribeAndHear,
} from '../lifecycle.ts';

let url: string;
let sim: Simulator;
let poller: Poller;
let stop: () => Promise<void>;
/** Machines each era's client acts on, two Ready ones and a New one each, so that the two never meet (and a fifth Ready one to listen to). */
let ready: string[] = [];
let fresh: string[] = [];
/** Every answer the server sent, as text (to see what travelled on the wire). */
const answers: string[] = [];

beforeAll(async () => {
  // A deploy takes about a second of real time here; the poller runs on real timers.
  const built = simDeps({ clock: systemClock, timeScale: 0.002, env: { MAAS_MCP_CONFIRM: 'auto' } });
  sim = built.sim;
  ready = readyHosts(sim, 5);
  fresh = sim.control
    .machines()
    .filter((m) => m.status === NodeStatus.NEW)
    .map((m) => m.hostname);
  poller = startPoller(built.deps);
  const app = createApp(built.deps, { localPrincipal: ADMIN });
  const server = serve({ fetch: app.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  stop = async () => {
    await app.close();
    poller.stop();
    sim.close();
    await new Promise<void>((resolve) => {
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      server.close(() => resolve());
    });
  };
});
afterAll(async () => {
  await stop?.();
});

/** A fetch that keeps a copy of every answer's body (SSE streams are left alone). */
const recording: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if ((res.headers.get('content-type') ?? '').includes('application/json'))
    answers.push(await res.clone().text());
  return res;
};

async function connect(modern: boolean) {
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: recording });
  const client = new Client({ name: 'maas-mcp-tests', version: '1.0.0' }, clientOptions(modern));
  const asked = acceptEveryConfirmation(client);
  await client.connect(transport);
  return { client, transport, asked };
}

/** Waits until `done` says so, or fails after 40 s (the poller moves things on by itself). */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 40_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('nothing happened in 40 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each([
  ['2026-07-28', true, 0],
  ['2025-11-25', false, 1],
])('a %s client over HTTP', (version, modern, n) => {
  it('negotiates its revision: no session for 2026-07-28, a session for 2025', async () => {
    const { client, transport } = await connect(modern);
    expect(client.getNegotiatedProtocolVersion()).toBe(version);
    if (modern) expect(transport.sessionId).toBeUndefined();
    else expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await client.close();
  });

  it('reads, deploys after the person confirmed, follows the operation, waits with progress, and runs a task', async () => {
    const { client, asked } = await connect(modern);
    const [deployed, waited, commissioned] = [ready[2 * n] ?? '', ready[2 * n + 1] ?? '', fresh[n] ?? ''];
    await reads(client);

    const answered = answers.length;
    const { id } = await confirmedDeploy(client, asked, deployed);
    const onWire = answers.slice(answered).join('\n');
    // 2026: the question travelled as input_required, its state sealed; 2025: the server pushed it.
    if (modern) expect(onWire).toMatch(/"resultType":"input_required".*"requestState":"c1\./s);
    else expect(onWire).not.toContain('input_required');

    await subscribeAndHear(client, modern, `maas://operations/${id}`, (heard) => until(heard));

    const { progress } = await confirmedDeploy(client, asked, waited, { wait: true });
    expectProgress(progress);

    const task = await runTask(
      client,
      modern,
      'machine_commission',
      { machines: commissioned },
      (ended) => until(ended),
      httpDispatch(url),
    );
    expect(task.taskId).toMatch(/^op_/);
    expect(task.result.isError).toBeFalsy();
    expect(task.result.structuredContent).toMatchObject({
      status: 'done',
      operation: { state: 'succeeded' },
    });
    await client.close();
  }, 60_000);
});

describe('a 2026-07-28 client listening to a machine', () => {
  it('hears maas://machines/{system_id} change while a deploy moves the machine', async () => {
    const { client, asked } = await connect(true);
    const host = ready[4] ?? '';
    const uri = `maas://machines/${sim.control.systemId(host)}`;
    const heard: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => void heard.push(n.params.uri));
    const sub = await client.listen({ resourceSubscriptions: [uri] });
    try {
      expect(sub.honoredFilter?.resourceSubscriptions).toEqual([uri]);
      await confirmedDeploy(client, asked, host);
      await until(() => heard.includes(uri));
      expect(heard.every((u) => u === uri)).toBe(true);
    } finally {
      await sub.close();
      await client.close();
    }
  }, 60_000);
});

describe('a 2026-07-28 confirmation', () => {
  it('cannot be answered with altered state, and works once', async () => {
    const { client } = await connect(true);
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'machine_release',
    };
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
    };
    const post = async (params: Record<string, unknown>) => {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { ...params, _meta: meta },
        }),
      });
      return (await res.json()) as {
        result?: {
          resultType?: string;
          requestState?: string;
          isError?: boolean;
          content?: { text: string }[];
        };
        error?: { code: number; message: string };
      };
    };
    const args = { name: 'machine_release', arguments: { machines: 'db-01' } };
    const first = await post(args);
    expect(first.result?.resultType).toBe('input_required');
    const state = first.result?.requestState as string;
    const yes = { confirm: { action: 'accept', content: { confirm: true } } };
    const altered = `${state.slice(0, -4)}${state.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const forged = await post({ ...args, inputResponses: yes, requestState: altered });
    expect(forged.error?.code).toBe(-32602);
    const otherCall = await post({
      name: 'machine_release',
      arguments: { machines: 'db-02' },
      inputResponses: yes,
      requestState: state,
    });
    expect(otherCall.result?.isError).toBe(true);
    expect(otherCall.result?.content?.[0]?.text).toMatch(/belongs to another call/);
    const done = await post({ ...args, inputResponses: yes, requestState: state });
    expect(done.result?.isError).toBeFalsy();
    expect(JSON.stringify(done.result)).toContain('"status":"done"');
    const replay = await post({ ...args, inputResponses: yes, requestState: state });
    expect(replay.result?.isError).toBe(true);
    expect(replay.result?.content?.[0]?.text).toMatch(/already used/);
    await client.close();
  });
});
