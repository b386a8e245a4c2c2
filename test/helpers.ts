/** Test wiring: Deps, MCP clients and servers over in-memory pairs. No network. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { type Config, parseConfig } from '../src/config.ts';
import { type Clock, ManualClock, systemClock } from '../src/core/clock.ts';
import { type Logger, silentLogger } from '../src/core/log.ts';
import { NotifierHub } from '../src/core/operations/notify.ts';
import type { Principal } from '../src/core/policy.ts';
import { SecretSet } from '../src/core/redact.ts';
import type { Deps } from '../src/deps.ts';
import { MaasApi } from '../src/maas/api.ts';
import { type FetchLike, MaasClient } from '../src/maas/client.ts';
import { createMcpServer } from '../src/mcp.ts';
import { createSimulator, type Simulator, type SimulatorOptions } from '../src/sim/index.ts';
import { MemoryStore } from '../src/store/memory.ts';
import type { Store } from '../src/store/types.ts';
import type { AnyTool } from '../src/tools/define.ts';
import { enabledTools } from '../src/tools/index.ts';

export interface MaasEndpoint {
  baseUrl: string;
  fetch: FetchLike;
  apiKey: string;
}

export const ADMIN: Principal = { id: 'test-admin', role: 'admin', via: 'mcp' };
export const VIEWER: Principal = { id: 'test-viewer', role: 'viewer', via: 'mcp' };

export function testConfig(env: Record<string, string> = {}): Config {
  return parseConfig(env);
}

export function makeDeps(
  maas: MaasEndpoint,
  opts: { clock?: Clock; config?: Config; log?: Logger; retries?: number; store?: Store } = {},
): Deps {
  const clock = opts.clock ?? systemClock;
  const client = new MaasClient({
    url: maas.baseUrl,
    apiKey: maas.apiKey,
    fetch: maas.fetch,
    clock,
    retries: opts.retries ?? 0,
    backoffMs: 1,
  });
  return {
    maas: new MaasApi(client),
    store: opts.store ?? new MemoryStore({ now: () => clock.now() }),
    notify: new NotifierHub(),
    kickPoller: () => undefined,
    clock,
    log: opts.log ?? silentLogger,
    config: opts.config ?? testConfig(),
    secrets: new SecretSet().add(...maas.apiKey.split(':')),
  };
}

/** A MAAS endpoint that must never be called (for tests that only list tools). */
export const UNREACHABLE_MAAS: MaasEndpoint = {
  baseUrl: 'http://unreachable.invalid/MAAS',
  apiKey: 'aaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbb:cccccccccccccccccccccccccccccccc',
  fetch: () => Promise.reject(new Error('this test must not call MAAS')),
};

/** A real MCP Client connected to our server over an in-memory transport pair. */
export async function connectClient(
  deps: Deps,
  opts: {
    principal?: Principal;
    tools?: readonly AnyTool[];
    capabilities?: ConstructorParameters<typeof Client>[1];
  } = {},
): Promise<{ client: Client; close(): Promise<void> }> {
  const principal = opts.principal ?? ADMIN;
  const tools =
    opts.tools ??
    enabledTools({ toolsets: deps.config.toolsets, readOnly: deps.config.readOnly, role: principal.role });
  const server = createMcpServer(deps, { principal, tools });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'maas-mcp-tests', version: '1.0.0' }, opts.capabilities);
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** A simulator (on a manual clock unless given one) and Deps that talk to it in-process. */
export function simDeps(
  opts: SimulatorOptions & { env?: Record<string, string>; user?: 'admin' | 'operator'; store?: Store } = {},
): { sim: Simulator; deps: Deps; clock: Clock } {
  const clock = opts.clock ?? new ManualClock();
  const sim = createSimulator({ ...opts, clock });
  const user = sim.users[opts.user ?? 'admin'];
  const deps = makeDeps(
    { baseUrl: sim.baseUrl, fetch: sim.fetch, apiKey: user.apiKey },
    { clock, config: testConfig(opts.env ?? {}), ...(opts.store ? { store: opts.store } : {}) },
  );
  return { sim, deps, clock };
}

/** Calls a tool through a real MCP client and returns its text, structured content and error flag. */
export async function call<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
) {
  const res = (await client.callTool({ name, arguments: args })) as {
    content: { type: string; text?: string }[];
    structuredContent?: Record<string, unknown>;
    isError?: boolean;
  };
  return {
    text: res.content.map((c) => c.text ?? '').join('\n'),
    data: (res.structuredContent ?? {}) as T,
    isError: res.isError === true,
    raw: res,
  };
}
