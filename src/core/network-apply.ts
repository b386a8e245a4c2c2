/**
 * Runs a network plan's MAAS calls in order, turning interface names into MAAS ids (those of interfaces it makes
 * come from MAAS's answers). It stops at the first refusal and says what was applied: the plan is a diff, so the
 * same call made again leaves what is done alone and carries on from there.
 */
import type { MaasTransport } from '../maas/calls.ts';
import {
  createBond,
  createVlanInterface,
  linkSubnet,
  setDefaultGateway,
  unlinkSubnet,
  updateInterface,
} from '../maas/network.ts';
import type { Interface } from '../maas/schemas.ts';
import { describeError } from './errors.ts';
import type { NetworkStep } from './network-model.ts';

export interface NetworkApplyResult {
  applied: string[];
  failed?: { step: string; error: string };
}

export function describeNetworkStep(s: NetworkStep): string {
  switch (s.op) {
    case 'create_bond': {
      const facts = [
        s.mode ?? 'balance-rr',
        s.lacp_rate ? `lacp ${s.lacp_rate}` : '',
        s.xmit_hash_policy ? `hash ${s.xmit_hash_policy}` : '',
        s.miimon !== undefined ? `miimon ${s.miimon}` : '',
        s.mtu ? `MTU ${s.mtu}` : '',
      ].filter(Boolean);
      return `create bond ${s.name} (${facts.join(', ')}) on ${s.parents.join(', ')}`;
    }
    case 'update_interface': {
      const changes = Object.entries(s.changes).map(([k, v]) => `${k.replace(/^bond_/, '')} ${v}`);
      if (s.parents) changes.push(`members ${s.parents.join(', ')}`);
      return `update ${s.name}: ${changes.join(', ')}`;
    }
    case 'create_vlan':
      return `create VLAN interface ${s.name} (VLAN ${s.vid} on ${s.parent}${s.mtu ? `, MTU ${s.mtu}` : ''})`;
    case 'unlink_subnet':
      return `remove ${s.interface}'s link ${s.link}`;
    case 'link_subnet': {
      if (s.mode === 'link_up')
        return `link ${s.interface} up${s.subnet ? ` on ${s.subnet}` : ''} (no address)`;
      const ip = s.mode === 'static' ? ` ${s.ip_address ?? '(MAAS picks a free address)'}` : '';
      return `link ${s.interface} ${s.mode}${ip}${s.subnet ? ` on ${s.subnet}` : ''}${s.default_gateway ? ', default gateway' : ''}`;
    }
    case 'set_default_gateway':
      return `route the default gateway through ${s.interface} (${s.subnet})`;
  }
}

export async function applyNetworkPlan(
  http: MaasTransport,
  systemId: string,
  interfaces: readonly Pick<Interface, 'id' | 'name'>[],
  steps: readonly NetworkStep[],
  opts: { signal?: AbortSignal | undefined } = {},
): Promise<NetworkApplyResult> {
  const ids = new Map(interfaces.map((i) => [i.name, i.id]));
  const applied: string[] = [];
  for (const step of steps) {
    try {
      await run(http, systemId, step, ids, opts.signal);
      applied.push(describeNetworkStep(step));
    } catch (err) {
      return { applied, failed: { step: describeNetworkStep(step), error: describeError(err) } };
    }
  }
  return { applied };
}

function idOf(ids: Map<string, number>, name: string): number {
  const id = ids.get(name);
  if (id === undefined) throw new Error(`the plan names interface ${name} before making it`);
  return id;
}

async function run(
  http: MaasTransport,
  sid: string,
  s: NetworkStep,
  ids: Map<string, number>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const o = { signal };
  switch (s.op) {
    case 'create_bond': {
      const bond = await createBond(
        http,
        sid,
        {
          name: s.name,
          parents: s.parents.map((p) => idOf(ids, p)),
          bond_mode: s.mode,
          bond_lacp_rate: s.lacp_rate,
          bond_xmit_hash_policy: s.xmit_hash_policy,
          bond_miimon: s.miimon,
          bond_downdelay: s.downdelay,
          bond_updelay: s.updelay,
          mtu: s.mtu,
        },
        o,
      );
      ids.set(s.name, bond.id);
      return;
    }
    case 'update_interface': {
      const form: Record<string, string | number | number[]> = { ...s.changes };
      if (s.parents) form.parents = s.parents.map((p) => idOf(ids, p));
      await updateInterface(http, sid, idOf(ids, s.name), form, o);
      return;
    }
    case 'create_vlan': {
      const vlan = await createVlanInterface(
        http,
        sid,
        { parent: idOf(ids, s.parent), vlan: s.vlan_id, mtu: s.mtu },
        o,
      );
      ids.set(s.name, vlan.id);
      ids.set(vlan.name, vlan.id);
      return;
    }
    case 'unlink_subnet':
      await unlinkSubnet(http, sid, idOf(ids, s.interface), s.link_id, o);
      return;
    case 'link_subnet':
      await linkSubnet(
        http,
        sid,
        idOf(ids, s.interface),
        { mode: s.mode, subnet: s.subnet_id, ip_address: s.ip_address, default_gateway: s.default_gateway },
        o,
      );
      return;
    case 'set_default_gateway':
      await setDefaultGateway(http, sid, idOf(ids, s.interface), s.link_id, o);
      return;
  }
}
