/**
 * (f) Workflows: 40 hosts through the whole provisioning chain (create → commission → storage → network → deploy,
 * the steps this maas-mcp has) against the simulator in its own process at a compressed time scale, timed against
 * one host's chain on the same simulator (target ≤ 1.2×; the automation SDK, one host after another, is 40×), and
 * what each poll cost MAAS (target: one request per 100 machines a tick, however many hosts wait).
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/base/clock.ts';
import type { Deps } from '../src/core/deps.ts';
import { runTool } from '../src/core/invoke.ts';
import { Poller, type TickReport } from '../src/core/operations/poller.ts';
import type { WorkflowRunner } from '../src/core/workflows/runner.ts';
import { createNodeFetch } from '../src/node/fetch.ts';
import { SqliteStore } from '../src/node/sqlite-store.ts';
import type { Operation } from '../src/store/types.ts';
import { findTool } from '../src/tools/index.ts';
import { makeDeps, testConfig } from '../test/helpers.ts';
import { startSim } from './scale.ts';

/** Simulated MAAS durations × this: a commissioning of ~6 min takes ~7 s, a deployment of ~8 min ~10 s. */
const TIME_SCALE = 0.02;
const HOSTS = 40;

export interface WorkflowBench {
  hosts: number;
  steps: string[];
  one_host_s: number;
  all_hosts_s: number;
  ratio: number;
  sequential_estimate_s: number;
  poll_ticks: number;
  max_machines_per_tick: number;
  max_requests_per_tick: number;
  /** Ticks that made more than one request per 100 machines they read (target 0). */
  ticks_over_budget: number;
  maas_requests_per_host: number;
}

/** The chain's steps this build can run: storage and network come with their tools. */
function chain(): string[] {
  const steps = ['create_machine', 'commission'];
  if (findTool('machine_storage_layout')) steps.push('configure_storage');
  if (findTool('machine_network_configure')) steps.push('configure_network');
  steps.push('deploy');
  return steps;
}

function machines(prefix: string, n: number, offset: number) {
  return Array.from({ length: n }, (_, i) => {
    const k = offset + i;
    return {
      hostname: `${prefix}-${String(i + 1).padStart(2, '0')}`,
      pxe_mac: `52:54:00:b1:${String(Math.floor(k / 100)).padStart(2, '0')}:${String(k % 100).padStart(2, '0')}`,
      power_type: 'ipmi',
      power_parameters: {
        power_address: `10.99.${Math.floor(k / 250)}.${(k % 250) + 1}`,
        power_user: 'root',
        power_pass: 'bench-pass',
      },
      distro_series: 'jammy',
      // The simulator leaves a new machine's firmware unknown: the SDK layout without its EFI partition.
      storage: { layout: 'efi_lvm', params: { efi_mb: 0 } },
      network: { interfaces: [{ name: 'eth0', ip_mode: 'auto', subnet: '10.10.0.0/24' }] },
    };
  });
}

async function timed(
  deps: Deps,
  workflow: Record<string, unknown>,
): Promise<{ seconds: number; op: Operation }> {
  const tool = findTool('workflow_run');
  if (!tool) throw new Error('no workflow_run');
  const t0 = performance.now();
  const out = (await runTool(
    tool,
    { workflow, parallel: HOSTS },
    {
      deps,
      principal: { id: 'bench', role: 'admin', via: 'cli' },
      confirmMode: 'off',
    },
  )) as { run: { id: string } };
  const engine = (deps.workflows as WorkflowRunner).engine(out.run.id);
  const op = engine ? await engine.done : ((await deps.store.getOperation(out.run.id)) as Operation);
  if (op.state !== 'succeeded') {
    const failed = op.targets.filter((t) => t.result !== 'succeeded').map((t) => `${t.hostname}: ${t.error}`);
    throw new Error(`the bench run ${op.id} ended ${op.state}: ${failed.slice(0, 3).join('; ')}`);
  }
  return { seconds: (performance.now() - t0) / 1000, op };
}

export async function workflowsBench(): Promise<WorkflowBench> {
  const sim = await startSim(24, TIME_SCALE);
  const dir = mkdtempSync(join(tmpdir(), 'maas-mcp-bench-wf-'));
  const nf = createNodeFetch();
  let requests = 0;
  const fetch: typeof nf.fetch = (input, init) => {
    requests++;
    return nf.fetch(input, init);
  };
  const store = SqliteStore.open(join(dir, 'bench.db'));
  const deps = makeDeps(
    { baseUrl: sim.url, fetch, apiKey: sim.key },
    { clock: systemClock, config: testConfig(), store, retries: 3 },
  );
  const poller = new Poller(deps);
  deps.kickPoller = () => poller.kick();
  const ticks: TickReport[] = [];
  const tick = poller.tick.bind(poller);
  poller.tick = async () => {
    const r = await tick();
    ticks.push(r);
    return r;
  };
  poller.start();
  try {
    const steps = chain();
    const one = await timed(deps, { actions: steps, machines: machines('solo', 1, 0) });
    ticks.length = 0;
    requests = 0;
    const all = await timed(deps, { actions: steps, machines: machines('node', HOSTS, 100) });
    const reading = ticks.filter((t) => t.machines > 0);
    return {
      hosts: HOSTS,
      steps,
      one_host_s: one.seconds,
      all_hosts_s: all.seconds,
      ratio: all.seconds / one.seconds,
      sequential_estimate_s: one.seconds * HOSTS,
      poll_ticks: reading.length,
      max_machines_per_tick: Math.max(...reading.map((t) => t.machines)),
      max_requests_per_tick: Math.max(...reading.map((t) => t.requests)),
      ticks_over_budget: reading.filter((t) => t.requests > Math.ceil(t.machines / 100)).length,
      maas_requests_per_host: requests / HOSTS,
    };
  } finally {
    poller.stop();
    await (deps.workflows as WorkflowRunner).stopAll();
    await store.close();
    await nf.close();
    rmSync(dir, { recursive: true, force: true });
    sim.child.kill('SIGTERM');
    await once(sim.child, 'exit');
  }
}
