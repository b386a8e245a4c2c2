/**
 * One machine's life through MCP, the same for both protocol eras and every transport (stdio, Node HTTP, workerd):
 * reads, a destructive call confirmed by the person at the client, progress while a call waits, a subscription to
 * an operation, and a long tool run as a task. The era decides how each is done on the wire; the client and the
 * person see the same thing.
 */
import type { Client } from '@modelcontextprotocol/client';
import { createTaskSessionFromClient, resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';
import { expect } from 'vitest';
import { legacyTasks } from './task-scenarios.ts';

export const MODERN_VERSION = '2026-07-28';
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/**
 * A client that declares elicitation (form): a person can be asked. It does not declare the tasks extension: a
 * plain client would be handed tasks it cannot follow; the tasks requester declares it on its own requests.
 */
export function clientOptions(modern: boolean) {
  return {
    capabilities: { elicitation: { form: {} } },
    ...(modern ? { versionNegotiation: { mode: { pin: MODERN_VERSION } } } : {}),
  } as const;
}

/** The person at the client: accepts every confirmation, and remembers what they were asked. */
export function acceptEveryConfirmation(client: Client): string[] {
  const asked: string[] = [];
  client.setRequestHandler('elicitation/create', async (req) => {
    asked.push(String((req.params as { message?: unknown }).message ?? ''));
    return { action: 'accept', content: { confirm: true } };
  });
  return asked;
}

interface Answer<T> {
  data: T;
  text: string;
  isError: boolean;
}

async function call<T>(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  options?: Parameters<Client['callTool']>[1],
): Promise<Answer<T>> {
  const res = (await client.callTool({ name, arguments: args }, options)) as {
    content: { type: string; text?: string }[];
    structuredContent?: unknown;
    isError?: boolean;
  };
  return {
    data: (res.structuredContent ?? {}) as T,
    text: res.content.map((c) => c.text ?? '').join('\n'),
    isError: res.isError === true,
  };
}

interface Done {
  status: string;
  operation_id?: string;
  succeeded: { hostname: string; system_id: string }[];
  operation?: { state: string };
}

/** Reads a list and a machine. */
export async function reads(client: Client): Promise<void> {
  const list = await call<{ rows: unknown[]; total: number }>(client, 'machines_list', { limit: 5 });
  expect(list.isError).toBe(false);
  expect(list.data.rows).toHaveLength(5);
  const one = await call<{ machine: { hostname: string; status: string } }>(client, 'machine_get', {
    machine: 'db-02',
  });
  expect(one.data.machine).toMatchObject({ hostname: 'db-02', status: expect.any(String) });
}

/**
 * Deploys `machine` (destructive): the client is asked, the person accepts, and the deploy starts. Answers the
 * operation id. With `wait`, the call waits for the end while `drive` moves things on, and reports progress.
 */
export async function confirmedDeploy(
  client: Client,
  asked: string[],
  machine: string,
  opts: { wait?: boolean; drive?: (answered: () => boolean) => Promise<unknown> } = {},
): Promise<{ id: string; progress: number[] }> {
  const before = asked.length;
  const progress: number[] = [];
  const running = call<Done>(
    client,
    'machine_deploy',
    { machines: machine, distro_series: 'noble', ...(opts.wait ? { wait: true, wait_timeout_s: 45 } : {}) },
    {
      // The v2 client also reports its own rounds of a multi-round-trip call here (no total): only the server's count.
      onprogress: (p) => {
        if (p.total !== undefined) progress.push(p.progress);
      },
      timeout: 60_000,
    },
  );
  let answered = false;
  const settled = running.finally(() => {
    answered = true;
  });
  const [res] = await Promise.all([settled, opts.drive?.(() => answered)]);
  expect(res.isError, res.text).toBe(false);
  expect(res.data.status).toBe('done');
  expect(asked.length).toBe(before + 1);
  expect(asked.at(-1)).toMatch(new RegExp(`Deploy 1 machine\\?\\n• ${machine} — Ready`));
  expect(res.data.succeeded.map((s) => s.hostname)).toEqual([machine]);
  return { id: res.data.operation_id as string, progress };
}

/** Progress seen while waiting: at least one notification, never going back (the last may be lost in transit). */
export function expectProgress(progress: readonly number[]): void {
  expect(progress.length).toBeGreaterThan(0);
  for (let i = 1; i < progress.length; i++)
    expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1] as number);
}

/**
 * Subscribes to an operation and waits for news of it while `drive` moves it on: `subscriptions/listen` on
 * 2026-07-28, `resources/subscribe` on 2025.
 */
export async function subscribeAndHear(
  client: Client,
  modern: boolean,
  uri: string,
  drive: (heard: () => boolean) => Promise<unknown>,
): Promise<void> {
  const heard: string[] = [];
  client.setNotificationHandler('notifications/resources/updated', (n) => void heard.push(n.params.uri));
  let close = async () => undefined as unknown;
  if (modern) {
    const sub = await client.listen({ resourceSubscriptions: [uri] });
    expect(sub.honoredFilter?.resourceSubscriptions).toEqual([uri]);
    close = () => sub.close();
  } else {
    await client.subscribeResource({ uri });
    close = () => client.unsubscribeResource({ uri });
  }
  try {
    await drive(() => heard.includes(uri));
    expect(heard).toContain(uri);
  } finally {
    await close();
  }
}

/** A raw JSON-RPC dispatch for the tasks requester: HTTP POSTs with the 2026-07-28 headers. */
export function httpDispatch(url: string, fetchImpl: typeof fetch = fetch) {
  const names: Record<string, string> = {
    'tools/call': 'name',
    'tasks/get': 'taskId',
    'tasks/update': 'taskId',
    'tasks/cancel': 'taskId',
  };
  let next = 1;
  return async (request: unknown) => {
    const req = request as { method: string; params?: Record<string, unknown> };
    const nameField = names[req.method];
    const name = nameField ? req.params?.[nameField] : undefined;
    const res = await fetchImpl(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN_VERSION,
        'mcp-method': req.method,
        ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: `raw-${next++}`, ...req }),
    });
    const text = await res.text();
    const line = text.trimStart().startsWith('{')
      ? text
      : (text
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .pop()
          ?.slice(5) ?? '{}');
    const msg = JSON.parse(line) as { result?: unknown; error?: unknown };
    return msg.error
      ? { kind: 'error' as const, error: msg.error }
      : { kind: 'result' as const, result: msg.result };
  };
}

/**
 * Runs a long tool as a task, as the client's tasks requester does: the 2026-07-28 extension through the official
 * `@modelcontextprotocol/ext-tasks` (given a raw dispatch), or 2025's experimental tasks. Answers the tool's final
 * answer once the task has ended while `drive` moves it on.
 */
export async function runTask(
  client: Client,
  modern: boolean,
  name: string,
  args: Record<string, unknown>,
  drive: (ended: () => boolean) => Promise<unknown>,
  rawDispatch?: (
    request: unknown,
  ) => Promise<{ kind: 'result' | 'error'; result?: unknown; error?: unknown }>,
): Promise<{ taskId: string; result: { structuredContent?: unknown; isError?: boolean } }> {
  if (!modern) {
    const tasks = legacyTasks(client);
    const created = await tasks.create(name, args, { ttl: 600_000 });
    let status = created.status;
    const follow = (async () => {
      while (status === 'working') {
        await new Promise((r) => setTimeout(r, 50));
        status = (await tasks.get(created.taskId)).status;
      }
    })();
    await Promise.all([follow, drive(() => status !== 'working')]);
    expect(status).toBe('completed');
    return { taskId: created.taskId, result: await tasks.result(created.taskId) };
  }
  if (!rawDispatch) throw new Error('the 2026 tasks requester needs a raw dispatch');
  const clientInfo = { name: 'maas-mcp-tests', version: '1.0.0' };
  const session = createTaskSessionFromClient(
    client as never,
    {
      endpointId: 'maas-mcp-tests',
      rawDispatch: rawDispatch as never,
      v2RequestFraming: {
        protocolVersion: MODERN_VERSION,
        clientInfo,
        clientCapabilities: { ...clientOptions(true).capabilities, extensions: { [TASKS_EXTENSION]: {} } },
      },
      onInputRequest: async () => ({ action: 'accept', content: { confirm: true } }) as never,
    } as never,
  );
  try {
    let ended = false;
    const execution = await session.callTool(name, args as never);
    const settled = execution.settle().finally(() => {
      ended = true;
    });
    const [{ outcome }] = await Promise.all([settled, drive(() => ended)]);
    // It ran as a task (not an immediate answer), and the requester saw it end.
    expect(execution.kind).toBe('task');
    const result = resultFromTaskOutcome(outcome as never) as {
      structuredContent?: unknown;
      isError?: boolean;
    };
    return { taskId: String(execution.handle?.taskId ?? ''), result };
  } finally {
    await session.close();
  }
}

/**
 * A raw JSON-RPC dispatch over a client's own transport (stdio, in-memory): requests with ids of their own whose
 * answers are taken off the transport before the client sees them. What the tasks requester needs where there is
 * no HTTP to POST to.
 */
export function transportDispatch(transport: {
  send(message: unknown): Promise<void>;
  onmessage?: ((message: never, extra?: never) => void) | undefined;
}) {
  const pending = new Map<string, (msg: { result?: unknown; error?: unknown }) => void>();
  const forward = transport.onmessage;
  transport.onmessage = ((message: { id?: unknown }, extra?: never) => {
    const resolve = typeof message.id === 'string' ? pending.get(message.id) : undefined;
    if (resolve) {
      pending.delete(message.id as string);
      resolve(message as { result?: unknown; error?: unknown });
      return;
    }
    forward?.(message as never, extra);
  }) as never;
  let next = 1;
  return async (request: unknown) => {
    const id = `raw-${next++}`;
    const answered = new Promise<{ result?: unknown; error?: unknown }>((resolve) =>
      pending.set(id, resolve),
    );
    await transport.send({ jsonrpc: '2.0', id, ...(request as object) });
    const msg = await answered;
    return msg.error
      ? { kind: 'error' as const, error: msg.error }
      : { kind: 'result' as const, result: msg.result };
  };
}
