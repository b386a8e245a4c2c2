/** workerd test wiring: a real MCP client against the Worker (SELF), and the Durable Object's stub. */
import {
  createExecutionContext,
  env,
  runDurableObjectAlarm,
  SELF,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/client/validators/cf-worker';
import { type Env, OBJECT_NAME } from '../../src/worker/object.ts';
import worker from '../../src/worker.ts';

/** The deployment's one Durable Object. */
export const mainObject = () => env.MAAS_MCP.get(env.MAAS_MCP.idFromName(OBJECT_NAME));

/**
 * A real MCP client (the official v2 one) over Streamable HTTP, sending every request through the Worker's fetch
 * handler: 2025-11-25 by default, 2026-07-28 with `modern`.
 */
export async function connect(
  opts: { modern?: boolean; capabilities?: Record<string, unknown> } = {},
): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), {
    fetch: (url, init) => SELF.fetch(url, init),
  });
  // The client validates tool outputs too, and workerd refuses Ajv's generated code just as the server would.
  const client = new Client(
    { name: 'maas-mcp-workerd-tests', version: '1.0.0' },
    {
      jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
      ...(opts.modern ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
      ...(opts.capabilities ? { capabilities: opts.capabilities } : {}),
    },
  );
  await client.connect(transport);
  return client;
}

export interface ToolAnswer<T> {
  text: string;
  data: T;
  isError: boolean;
}

/** Calls a tool and returns its text, structured content and error flag. */
export async function call<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolAnswer<T>> {
  const res = (await client.callTool({ name, arguments: args })) as {
    content: { type: string; text?: string }[];
    structuredContent?: Record<string, unknown>;
    isError?: boolean;
  };
  return {
    text: res.content.map((c) => c.text ?? '').join('\n'),
    data: (res.structuredContent ?? {}) as T,
    isError: res.isError === true,
  };
}

/** The shape of a destructive tool's answer, as far as these tests read it. */
export interface ActionAnswer {
  status: string;
  confirmation_required?: boolean;
  confirm_token?: string;
  operation_id?: string;
  succeeded: { hostname: string }[];
}

/** Runs a destructive tool through the confirm-token flow; returns the confirmed answer and the token. */
export async function confirmed(
  client: Client,
  tool: string,
  args: Record<string, unknown>,
): Promise<{ preview: ToolAnswer<ActionAnswer>; done: ToolAnswer<ActionAnswer>; token: string }> {
  const preview = await call<ActionAnswer>(client, tool, args);
  const token = preview.data.confirm_token ?? '';
  const done = await call<ActionAnswer>(client, tool, { ...args, confirm_token: token });
  return { preview, done, token };
}

/**
 * Drives the Durable Object's alarm until `until` says stop: each run is one poller tick, as the runtime would
 * fire it. Ticks due later than now do nothing, so it pauses between runs, as the alarm would.
 */
export async function runAlarmsUntil(until: () => Promise<boolean>, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let runs = 0;
  while (!(await until())) {
    if (Date.now() > deadline) throw new Error(`still waiting after ${runs} alarm runs`);
    if (await runDurableObjectAlarm(mainObject())) runs++;
    await new Promise((r) => setTimeout(r, 200));
  }
  return runs;
}

/** One request to the Worker's fetch handler with some settings overridden (as `wrangler secret put` would). */
export async function sendWith(over: Partial<Env>, url: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(url, init), { ...env, ...over } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The JSON-RPC message a POST to /mcp answered, whether as a JSON body or as the last event of an SSE stream. */
export async function rpcAnswer<T = Record<string, unknown>>(res: Response): Promise<T> {
  const text = await res.text();
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(text) as T;
  const data = text
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).trim());
  return JSON.parse(data.at(-1) ?? '{}') as T;
}
