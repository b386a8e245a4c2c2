/**
 * Shared wiring for the write-tool tests: a simulator on a ManualClock, Deps (optionally with a fetch wrapper
 * between the MAAS client and the simulator), a real MCP client, and small readers of the simulator's state
 * and request log. Every test file calls {@link runCleanups} in afterEach.
 */
import type { Client } from '@modelcontextprotocol/client';
import { expect } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import type { FetchLike } from '../../src/base/fetch.ts';
import type { Logger } from '../../src/base/log.ts';
import type { Principal } from '../../src/core/access.ts';
import type { Deps } from '../../src/core/deps.ts';
import type { ActionResult } from '../../src/core/result.ts';
import { createSimulator, type SimRequestEntry, type Simulator } from '../../src/sim/index.ts';
import { ADMIN, type call, connectClient, makeDeps, node, testConfig } from '../helpers.ts';

// Shared with tests outside test/tools/; re-exported so write-tool tests import their wiring from one place.
export { drive, maasConflict, maasUnavailable, node, readyHosts, simSecrets } from '../helpers.ts';

export const API = '/MAAS/api/2.0/';
export const MACHINES = `${API}machines/`;

export const OPERATOR: Principal = { id: 'test-operator', role: 'operator', via: 'mcp' };

const cleanups: (() => Promise<void> | void)[] = [];

/** Closes every client and simulator the finished test opened (call it from afterEach). */
export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

export interface WriteEnv {
  sim: Simulator;
  deps: Deps;
  clock: ManualClock;
  client: Client;
  /** Connects another MCP client to the same Deps (closed after the test). */
  connect(principal: Principal): Promise<Client>;
}

export interface SetupOptions {
  /** Settings; MAAS_MCP_CONFIRM defaults to "off" here (behaviour tests), set "token" to test the gate. */
  env?: Record<string, string>;
  machines?: number;
  principal?: Principal;
  /** Which simulator user's API key maas-mcp uses (default admin). */
  user?: 'admin' | 'operator' | 'other';
  /** Wraps the simulator's fetch (to lose answers, count, or inject faults per request). */
  fetch?: (sim: Simulator) => FetchLike;
  /** Client retries for requests that are safe to repeat (default 0, as in test/helpers.ts). */
  retries?: number;
  log?: Logger;
}

export async function setup(opts: SetupOptions = {}): Promise<WriteEnv> {
  const clock = new ManualClock();
  const sim = createSimulator({ clock, machines: opts.machines ?? 24 });
  cleanups.push(() => sim.close());
  const user = sim.users[opts.user ?? 'admin'];
  const deps = makeDeps(
    { baseUrl: sim.baseUrl, apiKey: user.apiKey, fetch: opts.fetch ? opts.fetch(sim) : sim.fetch },
    {
      clock,
      config: testConfig({ MAAS_MCP_CONFIRM: 'off', ...opts.env }),
      ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    },
  );
  const connect = async (principal: Principal) => {
    const c = await connectClient(deps, { principal });
    cleanups.push(c.close);
    return c.client;
  };
  const client = await connect(opts.principal ?? ADMIN);
  return { sim, deps, clock, client, connect };
}

export function sid(sim: Simulator, hostname: string): string {
  return node(sim, hostname).systemId;
}

export function machinePath(sim: Simulator, hostname: string): string {
  return `${MACHINES}${sid(sim, hostname)}/`;
}

export function opOf(e: SimRequestEntry): string | undefined {
  return e.query.find(([k]) => k === 'op')?.[1];
}

export function posts(sim: Simulator): SimRequestEntry[] {
  return sim.requests.entries.filter(
    (e) => e.method === 'POST' || e.method === 'PUT' || e.method === 'DELETE',
  );
}

/** Writes as `[path, op]` pairs, in the order MAAS received them. */
export function writes(sim: Simulator): [string, string | undefined][] {
  return posts(sim).map((e) => [e.path, opOf(e)]);
}

/** The form of the only write the simulator received to `path` with `op`. */
export function formOf(sim: Simulator, path: string, op: string | undefined): [string, string][] {
  const hits = posts(sim).filter((e) => e.path === path && opOf(e) === op);
  expect(hits, `exactly one write to ${path} op=${op}`).toHaveLength(1);
  return (hits[0] as SimRequestEntry).form;
}

/** The reads of the machine list MAAS received before the first write (how a tool resolved its targets). */
export function listReadsBeforeFirstWrite(sim: Simulator): SimRequestEntry[] {
  const entries = sim.requests.entries;
  const firstWrite = entries.findIndex((e) => e.method !== 'GET');
  return entries
    .slice(0, firstWrite === -1 ? entries.length : firstWrite)
    .filter((e) => e.method === 'GET' && e.path === MACHINES);
}

/** Hostnames of machines in a list of result rows. */
export const hosts = (rows: readonly { hostname: string }[]) => rows.map((r) => r.hostname);

/** What {@link call} answers for a machine action. */
export type ActionAnswer = Awaited<ReturnType<typeof call<ActionResult>>>;

/** The path and method of a fetch call, whatever form its arguments take. */
export function requestOf(input: Request | string | URL, init?: RequestInit): { method: string; url: URL } {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  return { method, url };
}

/**
 * A fetch wrapper (for {@link SetupOptions.fetch}) that records, in `seen`, the simulator's power state of each
 * machine (by system_id) at the moment MAAS receives its power_on.
 */
export function powerOnWitness(seen: Map<string, string>) {
  return (sim: Simulator): FetchLike =>
    (input, init) => {
      const { method, url } = requestOf(input, init);
      if (method === 'POST' && url.searchParams.get('op') === 'power_on') {
        const id = url.pathname.slice(MACHINES.length).replace(/\/$/, '');
        seen.set(id, sim.control.machines().find((m) => m.systemId === id)?.powerState ?? '?');
      }
      return sim.fetch(input, init);
    };
}
