/**
 * A valid call of every tool in the registry, on the seeded simulator (24 machines), for the invariant tests
 * (test/tools/invariants.test.ts): a tool without an example here fails them. Each call does real work — a
 * destructive one has at least one machine to act on — so that what the invariants check is not vacuous.
 */
import type { ManualClock } from '../../src/base/clock.ts';
import type { ToolContext } from '../../src/core/deps.ts';
import { runTool } from '../../src/core/invoke.ts';
import { findTool } from '../../src/tools/index.ts';

export interface Example {
  /** The call's arguments; a function of what `before` answered, when the call needs it (an operation id). */
  args: Record<string, unknown> | ((before: Record<string, unknown>) => Record<string, unknown>);
  /**
   * A call that first puts the fleet where the tool can act (run unconfirmed: it is preparation); the simulated
   * MAAS is then given a minute to finish what it started.
   */
  before?: { tool: string; args: Record<string, unknown> };
}

const CLUSTER = { name: 'ex', workers: 1, service_cidr: '172.20.0.0/16' };

export const EXAMPLES: Readonly<Record<string, Example>> = {
  machines_list: { args: { status: 'ready', limit: 5 } },
  machine_get: { args: { machine: 'web-01', detail: ['hardware', 'events'] } },
  machine_events: { args: { machine: 'db-03', limit: 5 } },
  fleet_summary: { args: {} },
  machine_create: {
    args: {
      mac_addresses: ['52:54:00:aa:cc:01'],
      power_type: 'ipmi',
      power_parameters: { power_address: '10.1.1.1', power_user: 'admin', power_pass: 'Example-Bmc-Pass-1' },
    },
  },
  machine_update: { args: { machine: 'web-01', description: 'front row' } },
  machine_delete: { args: { machines: 'new-02' } },
  machine_boot_disk: { args: { machines: 'web-02', disk: 'sdb' } },
  machine_owner_data: { args: { machine: 'web-05', set: { service: 'web' } } },
  machine_allocate: { args: { hostname: 'web-06' } },
  machine_commission: { args: { machines: 'new-01' } },
  machine_test: { args: { machines: 'web-01' } },
  machine_deploy: { args: { machines: 'web-06', distro_series: 'noble' } },
  machine_release: { args: { machines: 'db-01' } },
  machine_abort: { args: { machines: 'lab-02' } },
  machine_rescue: { args: { machines: 'k8s-04', action: 'exit' } },
  machine_mark_broken: { args: { machines: 'stor-01', comment: 'fan' } },
  machine_mark_fixed: { args: { machines: 'gpu-02' } },
  machine_lock: { args: { machines: 'web-04' } },
  machine_unlock: { args: { machines: 'web-03' } },
  machine_restore_config: { args: { machines: 'edge-01', scope: 'storage' } },
  machine_tag: { args: { machines: 'web-01', add: 'rack-a', create_missing: true } },
  machine_power_query: { args: { machines: 'web-04' } },
  machine_power_on: {
    before: { tool: 'machine_power_off', args: { machines: 'web-04', stop_mode: 'hard' } },
    args: { machines: 'web-04' },
  },
  machine_power_off: { args: { machines: 'web-04', stop_mode: 'hard' } },
  machine_power_cycle: { args: { machines: 'db-01' } },
  devices_list: { args: {} },
  controllers_list: { args: {} },
  zones_list: { args: {} },
  pools_list: { args: {} },
  tags_list: { args: {} },
  subnets_list: { args: {} },
  machine_storage: { args: { machine: 'db-01' } },
  machine_network: { args: { machine: 'db-01' } },
  machine_storage_layout: { args: { machines: 'db-02', layout: 'efi_lvm', params: { root_size_g: 40 } } },
  machine_network_configure: {
    args: {
      machines: 'db-02',
      bonds: [{ name: 'bond0', interfaces: ['eno3', 'eno4'], mode: '802.3ad', mtu: 9000 }],
      interfaces: [{ name: 'bond0', subnet: '10.40.0.0/22', ip_mode: 'static', ip_address: '10.40.0.10' }],
    },
  },
  machine_clone: { args: { source: 'web-06', machines: 'db-02', storage: true, network: true } },
  operations_list: {
    before: { tool: 'machine_commission', args: { machines: 'new-01' } },
    args: {},
  },
  operation_get: {
    before: { tool: 'machine_commission', args: { machines: 'new-01' } },
    args: (before) => ({ id: before.operation_id }),
  },
  operation_cancel: {
    before: { tool: 'machine_commission', args: { machines: 'new-01' } },
    args: (before) => ({ id: before.operation_id }),
  },
  // A deployment takes minutes on the simulator: the run is still going when the call after it is made.
  workflow_run: { args: { workflow: { actions: ['deploy'], machines: [{ hostname: 'web-06' }] } } },
  workflow_get: {
    before: {
      tool: 'workflow_run',
      args: { workflow: { actions: ['deploy'], machines: [{ hostname: 'web-06' }] } },
    },
    args: (before) => ({ id: (before.run as { id: string }).id }),
  },
  workflows_list: {
    before: {
      tool: 'workflow_run',
      args: { workflow: { actions: ['deploy'], machines: [{ hostname: 'web-06' }] } },
    },
    args: {},
  },
  workflow_cancel: {
    before: {
      tool: 'workflow_run',
      args: { workflow: { actions: ['deploy'], machines: [{ hostname: 'web-06' }] } },
    },
    args: (before) => ({ id: (before.run as { id: string }).id }),
  },
  // A cluster of one control plane and one worker (service_cidr: the default 10.96.0.0/12 overlaps a simulated
  // subnet, which cluster_create refuses). Deployments take minutes: the calls after it find it deploying.
  cluster_create: { args: { name: 'ex', workers: 1, service_cidr: '172.20.0.0/16' } },
  clusters_list: { before: { tool: 'cluster_create', args: CLUSTER }, args: {} },
  cluster_get: { before: { tool: 'cluster_create', args: CLUSTER }, args: { name: 'ex' } },
  cluster_scale: { before: { tool: 'cluster_create', args: CLUSTER }, args: { name: 'ex', workers: 2 } },
  cluster_delete: { before: { tool: 'cluster_create', args: CLUSTER }, args: { name: 'ex' } },
  cluster_kubeconfig: { before: { tool: 'cluster_create', args: CLUSTER }, args: { name: 'ex' } },
  audit_list: {
    before: { tool: 'machine_lock', args: { machines: 'web-04' } },
    args: {},
  },
};

/** Runs an example's preparation (if any) and answers the arguments of its call. */
export async function prepare(
  name: string,
  ctx: ToolContext,
  clock: ManualClock,
): Promise<Record<string, unknown>> {
  const example = EXAMPLES[name];
  if (!example) throw new Error(`no example for ${name} in test/tools/examples.ts`);
  let before: Record<string, unknown> = {};
  if (example.before) {
    const tool = findTool(example.before.tool);
    if (!tool) throw new Error(`${name}: no tool ${example.before.tool} to prepare with`);
    before = (await runTool(tool, example.before.args, { ...ctx, confirmMode: 'off' })) as Record<
      string,
      unknown
    >;
    await clock.advance(60_000);
  }
  return typeof example.args === 'function' ? example.args(before) : example.args;
}
