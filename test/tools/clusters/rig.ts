/**
 * Wiring for the cluster tests: the write-tool rig (simulator on a ManualClock, Deps, an MCP client) with a started
 * poller, a `gpu` pool made through the MAAS API, and readers of what MAAS holds for a cluster.
 */
import type { ClusterView } from '../../../src/core/clusters/view.ts';
import { call, startPoller } from '../../helpers.ts';
import { type SetupOptions, setup, type WriteEnv } from '../write-helpers.ts';

export interface ClusterEnv extends WriteEnv {
  stop(): void;
}

export async function clusterSetup(opts: SetupOptions = {}): Promise<ClusterEnv> {
  const env = await setup({ machines: 60, ...opts, env: { MAAS_MCP_TOOLSETS: 'all', ...opts.env } });
  const poller = startPoller(env.deps);
  return { ...env, stop: () => poller.stop() };
}

/** Puts `hostnames` in a new pool `gpu`, through the MAAS API as an admin would. */
export async function gpuPool(env: WriteEnv, hostnames: readonly string[]): Promise<void> {
  const http = env.deps.maas.http;
  await http.call({
    method: 'POST',
    path: 'resourcepools/',
    form: { name: 'gpu', description: 'GPU nodes' },
  });
  for (const h of hostnames) {
    const r = await call(env.client, 'machine_update', { machine: h, pool: 'gpu' });
    if (r.isError) throw new Error(`machine_update ${h}: ${r.text}`);
  }
}

/** Hostnames of the Ready, unlocked amd64 machines of the simulated fleet, in list order. */
export function readyMachines(env: WriteEnv): string[] {
  return env.sim.control
    .machines()
    .filter(
      (m) =>
        m.status === 4 &&
        !m.locked &&
        m.architecture.startsWith('amd64') &&
        m.cpuCount >= 2 &&
        m.memory >= 4096,
    )
    .map((m) => m.hostname);
}

/** Every machine MAAS shows held (owned) that carries `cluster`'s owner data. */
export function heldFor(env: WriteEnv, cluster: string): string[] {
  return env.sim.control
    .machines()
    .filter((m) => m.owner !== null && m.ownerData['maas-mcp-cluster'] === cluster)
    .map((m) => m.hostname);
}

/** Every machine MAAS shows allocated or beyond (owned) by the admin user that it was not before. */
export function owned(env: WriteEnv): Set<string> {
  return new Set(
    env.sim.control
      .machines()
      .filter((m) => m.owner !== null)
      .map((m) => m.hostname),
  );
}

/** A service network that does not overlap the simulated MAAS's subnets (kubeadm's default 10.96.0.0/12 does). */
export const SVC = { service_cidr: '172.20.0.0/16' } as const;

/** Lets MAAS finish what it started (deploys, releases) and the poller see it; answers cluster_get's view. */
export async function finish(env: WriteEnv, name: string): Promise<ClusterView> {
  await env.sim.control.settle();
  for (let i = 0; i < 20; i++) await env.clock.advance(5_000);
  const r = await call<{ cluster: ClusterView }>(env.client, 'cluster_get', { name });
  if (r.isError) throw new Error(r.text);
  return r.data.cluster;
}
