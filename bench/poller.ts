/**
 * Poller cost (issue 4): MAAS requests per tick with 200 operations over 200 machines (target ≤ 2), and CPU time
 * per tick and memory with 1,000 tracked machines, on the memory store and on SQLite. The simulator runs in its
 * own process, so the CPU measured here is the poller's (HTTP, parsing, judging, storing).
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../src/base/clock.ts';
import { Poller } from '../src/core/operations/poller.ts';
import { startOperation } from '../src/core/operations/service.ts';
import { createNodeFetch } from '../src/node/fetch.ts';
import { SqliteStore } from '../src/node/sqlite-store.ts';
import { MemoryStore } from '../src/store/memory.ts';
import type { Store } from '../src/store/types.ts';
import { makeDeps, testConfig } from '../test/helpers.ts';
import { startSim } from './scale.ts';

export interface PollerRow {
  store: string;
  operations: number;
  machines: number;
  requests_per_tick: number;
  cpu_ms_per_tick: number;
  wall_ms_per_tick: number;
  heap_mb: number;
}

async function measure(
  url: string,
  key: string,
  store: Store,
  storeName: string,
  ops: number,
  perOp: number,
): Promise<PollerRow> {
  const clock = new ManualClock(Date.now());
  const nf = createNodeFetch();
  const deps = makeDeps(
    { baseUrl: url, fetch: nf.fetch, apiKey: key },
    { clock, config: testConfig(), store },
  );
  // Ready machines are powered off: as power_on operations they stay pending, so every tick reads them all.
  const ready = (await deps.maas.listMachines({ status: ['ready'], power_state: ['off'] })).slice(
    0,
    ops * perOp,
  );
  if (ready.length < ops * perOp) throw new Error(`only ${ready.length} powered-off Ready machines`);
  const heap0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < ops; i++) {
    const machines = ready.slice(i * perOp, (i + 1) * perOp);
    await startOperation(deps, {
      kind: 'power_on',
      tool: 'bench',
      summary: `bench ${i}`,
      machines,
      before: new Map(),
      requester: { principal: 'bench', via: 'cli' },
    });
  }
  const poller = new Poller(deps);
  await poller.tick(); // warm-up
  const ticks = 10;
  let requests = 0;
  let cpu = 0;
  let wall = 0;
  for (let i = 0; i < ticks; i++) {
    await clock.advance(20_000);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await poller.tick();
    wall += performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1000;
    requests += report.requests;
  }
  globalThis.gc?.();
  const heap = process.memoryUsage().heapUsed - heap0;
  await nf.close();
  return {
    store: storeName,
    operations: ops,
    machines: ops * perOp,
    requests_per_tick: requests / ticks,
    cpu_ms_per_tick: cpu / ticks,
    wall_ms_per_tick: wall / ticks,
    heap_mb: heap / 1024 / 1024,
  };
}

export async function pollerBench(): Promise<PollerRow[]> {
  const sim = await startSim(4000);
  const dir = mkdtempSync(join(tmpdir(), 'maas-mcp-bench-'));
  try {
    const rows: PollerRow[] = [];
    rows.push(await measure(sim.url, sim.key, new MemoryStore(), 'memory', 200, 1));
    rows.push(await measure(sim.url, sim.key, new MemoryStore(), 'memory', 1000, 1));
    rows.push(await measure(sim.url, sim.key, SqliteStore.open(join(dir, 'a.db')), 'sqlite', 200, 1));
    rows.push(await measure(sim.url, sim.key, SqliteStore.open(join(dir, 'b.db')), 'sqlite', 1000, 1));
    rows.push(await measure(sim.url, sim.key, SqliteStore.open(join(dir, 'c.db')), 'sqlite', 10, 100));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    sim.child.kill('SIGTERM');
    await once(sim.child, 'exit');
  }
}
