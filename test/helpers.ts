/** Test wiring: Deps, MCP clients and servers over in-memory pairs. No network. */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { type Clock, ManualClock, systemClock } from '../src/base/clock.ts';
import type { FetchLike } from '../src/base/fetch.ts';
import { type Logger, silentLogger } from '../src/base/log.ts';
import { SecretSet } from '../src/base/redact.ts';
import { vaultOf } from '../src/base/vault.ts';
import { type Config, parseConfig } from '../src/config.ts';
import type { Principal } from '../src/core/access.ts';
import type { Deps } from '../src/core/deps.ts';
import { NotifierHub } from '../src/core/operations/notify.ts';
import { Poller } from '../src/core/operations/poller.ts';
import type { AnyTool } from '../src/core/tool.ts';
import { WorkflowRunner } from '../src/core/workflows/runner.ts';
import { MaasClient } from '../src/maas/client.ts';
import { MaasHttp } from '../src/maas/http.ts';
import { NodeStatus } from '../src/maas/status.ts';
import { serveTransport } from '../src/mcp/stdio.ts';
import { createSimulator, type SimMachine, type Simulator, type SimulatorOptions } from '../src/sim/index.ts';
import { MemoryStore } from '../src/store/memory.ts';
import type { Store } from '../src/store/types.ts';
import { ALL_TOOLS, findTool, toolsFor } from '../src/tools/index.ts';

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
  opts: {
    clock?: Clock;
    config?: Config;
    log?: Logger;
    retries?: number;
    store?: Store;
    /** The process a workflow lease names (default one per test process). */
    holder?: string;
  } = {},
): Deps {
  const clock = opts.clock ?? systemClock;
  const client = new MaasHttp({
    url: maas.baseUrl,
    apiKey: maas.apiKey,
    fetch: maas.fetch,
    clock,
    retries: opts.retries ?? 0,
    backoffMs: 1,
  });
  const deps: Deps = {
    maas: new MaasClient(client),
    store: opts.store ?? new MemoryStore({ now: () => clock.now() }),
    notify: new NotifierHub(),
    kickPoller: () => undefined,
    clock,
    log: opts.log ?? silentLogger,
    config: opts.config ?? testConfig(),
    tools: ALL_TOOLS,
    secrets: new SecretSet().add(...maas.apiKey.split(':')),
    vault: vaultOf(maas.apiKey, 'clusters'),
    sealKey: maas.apiKey,
  };
  // Workflows run in this process, as on a Node server (src/node.ts wires the same).
  deps.workflows = new WorkflowRunner(deps, {
    tools: (name) => findTool(name),
    holder: opts.holder ?? 'test:process',
    sealKey: maas.apiKey,
  });
  return deps;
}

/** A MAAS endpoint that must never be called (for tests that only list tools). */
export const UNREACHABLE_MAAS: MaasEndpoint = {
  baseUrl: 'http://unreachable.invalid/MAAS',
  apiKey: 'aaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbb:cccccccccccccccccccccccccccccccc',
  fetch: () => Promise.reject(new Error('this test must not call MAAS')),
};

/** The 2026-07-28 revision: a client pinned to it (no initialize, no session). */
export const MODERN = { versionNegotiation: { mode: { pin: '2026-07-28' } } } as const;

/**
 * A real MCP Client (the official v2 one) connected to our server over an in-memory transport pair, served as
 * stdio is: the client's opening picks the era (2025-11-25 by default; pass `options: MODERN` for 2026-07-28).
 */
export async function connectClient(
  deps: Deps,
  opts: {
    principal?: Principal;
    tools?: readonly AnyTool[];
    /** The client's options: its capabilities, and which revision it speaks. */
    capabilities?: ConstructorParameters<typeof Client>[1];
    /** How often task-aware clients are told to poll a task (real milliseconds). */
    taskPollMs?: number;
  } = {},
): Promise<{ client: Client; close(): Promise<void> }> {
  const principal = opts.principal ?? ADMIN;
  // What src/server.ts and the stdio entry offer this caller.
  const tools = opts.tools ?? toolsFor(deps, principal);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = serveTransport(deps, serverSide, {
    principal,
    tools,
    ...(opts.taskPollMs !== undefined ? { taskPollMs: opts.taskPollMs } : {}),
  });
  const client = new Client({ name: 'maas-mcp-tests', version: '1.0.0' }, opts.capabilities);
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** How {@link simDeps} and {@link depsFor} set up Deps over a simulator. */
export interface SimDepsOptions {
  /** Settings (parsed by {@link testConfig}). */
  env?: Record<string, string>;
  /** Which simulator user's API key maas-mcp uses (default admin). */
  user?: 'admin' | 'operator';
  store?: Store;
}

/** A simulator (on a manual clock unless given one) and Deps that talk to it in-process. */
export function simDeps(opts: SimulatorOptions & SimDepsOptions = {}): {
  sim: Simulator;
  deps: Deps;
  clock: Clock;
} {
  const clock = opts.clock ?? new ManualClock();
  const sim = createSimulator({ ...opts, clock });
  return { sim, deps: depsFor(sim, clock, opts), clock };
}

/** Deps that talk in-process to an existing simulator (e.g. one a "restarted" maas-mcp finds again). */
export function depsFor(sim: Simulator, clock: Clock, opts: SimDepsOptions = {}): Deps {
  const user = sim.users[opts.user ?? 'admin'];
  return makeDeps(
    { baseUrl: sim.baseUrl, fetch: sim.fetch, apiKey: user.apiKey },
    { clock, config: testConfig(opts.env ?? {}), ...(opts.store ? { store: opts.store } : {}) },
  );
}

/** A started Poller wired as the Deps' kickPoller (as the entry points do); the caller stops it. */
export function startPoller(deps: Deps): Poller {
  const poller = new Poller(deps);
  deps.kickPoller = () => poller.kick();
  poller.start();
  return poller;
}

/**
 * The simulator's record of a machine, by hostname (throws when there is none), read-only: change it with
 * `sim.control.setMachine` or through the MAAS API.
 */
export function node(sim: Simulator, hostname: string): SimMachine {
  return sim.control.machine(hostname);
}

/**
 * The next `times` requests answer 503 with Retry-After and take no effect, as MAAS does when no rack controller is
 * connected (RPC `NoConnectionsAvailable`).
 */
export function maasUnavailable(sim: Simulator, times: number, retryAfterSeconds = 5) {
  return sim.control.failRequests({
    status: 503,
    body: 'Unable to connect to any rack controller; no connections available.',
    headers: { 'Retry-After': String(retryAfterSeconds) },
    times,
  });
}

/** The next `times` POSTs answer 409 with Retry-After and take no effect (MAAS's retry of a serialisation failure). */
export function maasConflict(sim: Simulator, times: number, retryAfterSeconds = 1) {
  return sim.control.failRequests({
    method: 'POST',
    status: 409,
    headers: { 'Retry-After': String(retryAfterSeconds) },
    times,
  });
}

/**
 * Every Ready, unlocked machine that can deploy (it has a filesystem at `/`: the simulated fleet also has machines
 * with a blank storage layout, which MAAS refuses to deploy), in id order, optionally only the first `n`.
 */
export function readyHosts(sim: Simulator, n?: number): string[] {
  const rooted = (m: SimMachine) =>
    m.blockDevices.some(
      (d) => d.filesystem?.mountPoint === '/' || d.partitions.some((p) => p.filesystem?.mountPoint === '/'),
    );
  const all = sim.control
    .machines()
    .filter((m) => m.status === NodeStatus.READY && !m.locked && rooted(m))
    .map((m) => m.hostname);
  return n === undefined ? all : all.slice(0, n);
}

/**
 * Every secret the simulated MAAS holds, labelled for failure messages: BMC credentials (power parameters whose
 * name looks secret) and each user's API key and its token secret.
 */
export function simSecrets(sim: Simulator): [label: string, value: string][] {
  const out: [string, string][] = [];
  for (const n of sim.control.machines()) {
    for (const [k, v] of Object.entries(n.powerParameters)) {
      if (/pass|secret|key|token/i.test(k) && v.length >= 6) out.push([`${n.hostname}.${k}`, v]);
    }
  }
  for (const [who, u] of Object.entries(sim.users)) {
    out.push([`${who} API key`, u.apiKey], [`${who} token secret`, u.apiKey.split(':')[2] as string]);
  }
  return out;
}

/**
 * Runs `work` to completion while moving the ManualClock forward `stepMs` at a time (for calls that wait on the
 * clock: MAAS's simulated work, the poller, wait_timeout_s); throws if it is still pending after `maxSteps`.
 */
export async function drive<T>(
  clock: ManualClock,
  work: Promise<T>,
  stepMs = 1_000,
  maxSteps = 5_000,
): Promise<T> {
  let done = false;
  const settled = work.finally(() => {
    done = true;
  });
  // A rejection is the caller's to see (below); do not let it count as unhandled while the clock moves.
  settled.catch(() => undefined);
  for (let i = 0; i < maxSteps && !done; i++) await clock.advance(stepMs);
  if (!done) throw new Error('the call did not finish while the clock moved');
  return settled;
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
