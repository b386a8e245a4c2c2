/**
 * (a) Tool-call overhead: machine_get and machines_list through the MCP server (a real Client over an
 * in-memory pair) versus the same MAAS requests made directly with the MAAS client, against the in-process
 * simulator, and against the simulator in its own process over HTTP. Reported as p50/p99 at concurrency 1 and 16
 * and the ratio of p50s (target ≤ 1.3× in-process).
 */

import { once } from 'node:events';
import type { Client } from '@modelcontextprotocol/client';
import { systemClock } from '../src/base/clock.ts';
import { createNodeFetch } from '../src/node/fetch.ts';
import { createSimulator } from '../src/sim/index.ts';
import { connectClient, type MaasEndpoint, makeDeps, testConfig } from '../test/helpers.ts';
import { startSim } from './scale.ts';
import { latencies, percentile } from './stats.ts';

export interface OverheadRow {
  /** in-process: the simulator in this process; http: in its own process over 127.0.0.1, like a real MAAS. */
  maas: 'in-process' | 'http';
  tool: string;
  concurrency: number;
  direct_p50: number;
  direct_p99: number;
  mcp_p50: number;
  mcp_p99: number;
  ratio_p50: number;
}

export async function overhead(): Promise<OverheadRow[]> {
  const sim = createSimulator({ clock: systemClock, timeScale: 1000 });
  const rows = await measure(
    'in-process',
    { baseUrl: sim.baseUrl, fetch: sim.fetch, apiKey: sim.users.admin.apiKey },
    sim.control.systemId('web-01'),
  );
  sim.close();
  // The same against the simulator in its own process, over HTTP with keep-alive: what a real MAAS looks like.
  const child = await startSim(24);
  const nf = createNodeFetch();
  try {
    const deps = makeDeps(
      { baseUrl: child.url, fetch: nf.fetch, apiKey: child.key },
      { config: testConfig() },
    );
    const [m] = await deps.maas.listMachines({ hostname: ['web-01'] });
    rows.push(
      ...(await measure(
        'http',
        { baseUrl: child.url, fetch: nf.fetch, apiKey: child.key },
        m?.system_id as string,
      )),
    );
  } finally {
    await nf.close();
    child.child.kill('SIGTERM');
    await once(child.child, 'exit');
  }
  return rows;
}

async function measure(
  maas: OverheadRow['maas'],
  endpoint: MaasEndpoint,
  id: string,
): Promise<OverheadRow[]> {
  const deps = makeDeps(endpoint, { config: testConfig() });
  const { client, close } = await connectClient(deps);
  const http = deps.maas.http;
  const cases: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
    [
      'machine_get',
      () => http.call({ method: 'GET', path: `machines/${id}/` }),
      () => callTool(client, 'machine_get', { machine: id }),
    ],
    [
      'machines_list',
      () => http.call({ method: 'GET', path: 'machines/' }),
      () => callTool(client, 'machines_list', {}),
    ],
  ];
  const rows: OverheadRow[] = [];
  try {
    for (const [tool, direct, mcp] of cases) {
      for (const concurrency of [1, 16]) {
        // Warm up both paths (JIT, caches), then measure them interleaved in rounds so drift hits both alike.
        await latencies(direct, 100, concurrency);
        await latencies(mcp, 100, concurrency);
        const d: number[] = [];
        const m: number[] = [];
        for (let round = 0; round < 5; round++) {
          d.push(...(await latencies(direct, 200, concurrency)));
          m.push(...(await latencies(mcp, 200, concurrency)));
        }
        d.sort((a, b) => a - b);
        m.sort((a, b) => a - b);
        rows.push({
          maas,
          tool,
          concurrency,
          direct_p50: percentile(d, 50),
          direct_p99: percentile(d, 99),
          mcp_p50: percentile(m, 50),
          mcp_p99: percentile(m, 99),
          ratio_p50: percentile(m, 50) / percentile(d, 50),
        });
      }
    }
  } finally {
    await close();
  }
  return rows;
}

async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<void> {
  const res = await client.callTool({ name, arguments: args });
  if (res.isError) throw new Error(`${name} failed: ${JSON.stringify(res.content)}`);
}
