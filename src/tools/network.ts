/** A machine's network: reading it as a tree, and configuring bonds, VLAN interfaces, links and MTUs. */
import * as z from 'zod/v4';
import { type Applied, defineConfigAction } from '../core/config-action.ts';
import { configRefusal } from '../core/config-gates.ts';
import { applyNetworkPlan, describeNetworkStep } from '../core/network-apply.ts';
import type { NetworkPlan } from '../core/network-model.ts';
import { networkRequestProblems, planNetwork, readNetworkWorld } from '../core/network-plan.ts';
import { BondSpec, InterfaceSpec, VlanSpec } from '../core/network-spec.ts';
import { NetworkTree, networkTreeFromMaas, renderNetworkTree } from '../core/network-tree.ts';
import { resolveMachine } from '../core/targets.ts';
import { defineTool } from '../core/tool.ts';
import { getMachineConfig } from '../maas/machine-config.ts';
import { machineRef, machinesRef, READ_ONLY } from './common.ts';

const Gateways = z.object({
  ipv4: z.string().nullable().describe('IPv4 default gateway'),
  ipv6: z.string().nullable().describe('IPv6 default gateway'),
});

export const machineNetwork = defineTool({
  name: 'machine_network',
  title: 'Machine network',
  description:
    'A machine’s network tree: interfaces (fabric, VLAN, MTU), bond members and VLANs under their parent, links (mode, subnet, address), default gateways.',
  toolset: 'config',
  minRole: 'viewer',
  annotations: READ_ONLY,
  verb: 'network',
  slack: { positional: 'machine' },
  input: z.object({ machine: machineRef }),
  output: z.object({
    hostname: z.string(),
    system_id: z.string(),
    status: z.string(),
    network: NetworkTree,
    default_gateways: Gateways,
  }),
  async run(args, ctx) {
    const m = await resolveMachine(ctx.deps.maas, args.machine, ctx.signal);
    const full = await getMachineConfig(ctx.deps.maas.http, m.system_id, { signal: ctx.signal });
    return {
      hostname: full.hostname,
      system_id: full.system_id,
      status: full.status_name,
      network: networkTreeFromMaas(full.interface_set, full.default_gateways),
      default_gateways: {
        ipv4: full.default_gateways.ipv4.gatewayIp,
        ipv6: full.default_gateways.ipv6.gatewayIp,
      },
    };
  },
  render(o) {
    const gw = [o.default_gateways.ipv4, o.default_gateways.ipv6].filter(Boolean);
    return [
      `${o.hostname} (${o.system_id}), ${o.status} — network${gw.length ? ` (default gateway ${gw.join(', ')})` : ''}:`,
      ...renderNetworkTree(o.network).map((l) => `  ${l}`),
    ].join('\n');
  },
});

const configureInput = z.object({
  machines: machinesRef,
  bonds: z
    .array(BondSpec)
    .max(32)
    .optional()
    .describe('To make, or bring to these settings (the SDK’s network.bonds)'),
  vlans: z.array(VlanSpec).max(64).optional().describe('VLAN interfaces to make, named <parent>.<vid>'),
  interfaces: z
    .array(InterfaceSpec)
    .max(64)
    .optional()
    .describe('Links (replacing its links) and MTU (the SDK’s network.interfaces)'),
});

export const machineNetworkConfigure = defineConfigAction({
  name: 'machine_network_configure',
  title: 'Configure machine network',
  description:
    'Configure Ready or Allocated machines’ network before deploy: bonds, VLANs, links, default gateway, MTUs (the SDK’s network JSON as is). Checked per machine first; what is already so is left. Needs a MAAS admin’s key.',
  verb: 'configure-network',
  idempotent: true,
  input: configureInput,
  requestProblems: (args, machines) => networkRequestProblems(args, machines),
  shared: (args, ctx) => readNetworkWorld(args, ctx),
  judge(m, args, world) {
    const refused = configRefusal(m, 'network');
    if (refused) return { verdict: 'refuse', effect: refused };
    const host = {
      hostname: m.hostname,
      systemId: m.system_id,
      interfaces: m.interface_set,
      gateways: m.default_gateways,
    };
    const plan = planNetwork(host, world, args);
    if (plan.problems.length)
      return {
        verdict: 'refuse',
        effect: `cannot configure ${m.hostname}'s network: ${plan.problems.join('; ')}`,
      };
    const extra = { network: plan.tree };
    if (plan.steps.length === 0)
      return { verdict: 'skip', effect: `already as asked: ${plan.unchanged.join('; ')}`, extra };
    const kept = plan.unchanged.length ? `; already as asked: ${plan.unchanged.join('; ')}` : '';
    return {
      verdict: 'run',
      effect: `${plan.steps.map(describeNetworkStep).join('; ')}${kept}`,
      plan,
      warnings: [...plan.notes, ...plan.warnings],
      extra,
    };
  },
  async apply(m, plan: NetworkPlan, _args, ctx): Promise<Applied> {
    const r = await applyNetworkPlan(ctx.deps.maas.http, m.system_id, m.interface_set, plan.steps, {
      signal: ctx.signal,
    });
    if (!r.failed) return { applied: r.applied };
    return {
      applied: r.applied,
      failed: r.failed,
      recovery: r.applied.length
        ? 'the calls after it were not made; fix the cause and make the same call again: what is already done is left alone'
        : 'nothing was changed on it',
    };
  },
});

export const networkTools = [machineNetwork, machineNetworkConfigure];
