/**
 * Plans `machine_network_configure` for one machine against what MAAS has: bonds, then VLAN interfaces, then links
 * and MTUs — checked the way MAAS checks them (`maasserver/forms/interface.py`, `interface_link.py`), diffed so
 * that what is already there is left alone and said so, and recorded as the MAAS calls that make the rest.
 */
import { fabrics, type SubnetAddress, subnetAddresses } from '../maas/network.ts';
import type { ToolContext } from './deps.ts';
import { planLinks } from './network-links.ts';
import {
  containerOf,
  findSubnet,
  known,
  type NetDraft,
  type NetworkHost,
  type NetworkPlan,
  type NetworkWorld,
  type Nic,
  nicFrom,
  problem,
  treeInterface,
  vlanName,
} from './network-model.ts';
import type { BondSpec, NetworkRequest, VlanSpec } from './network-spec.ts';

/**
 * What planning needs beyond each machine: the subnets and fabrics, and the addresses in use of each subnet a
 * static address is asked in (read once for all machines).
 */
export async function readNetworkWorld(
  req: NetworkRequest,
  ctx: Pick<ToolContext, 'deps' | 'signal'>,
): Promise<NetworkWorld> {
  const o = { signal: ctx.signal };
  const [subnets, fabricList] = await Promise.all([ctx.deps.maas.subnets(o), fabrics(ctx.deps.maas.http, o)]);
  const asked = new Set<number>();
  for (const i of req.interfaces ?? []) {
    const s = i.ip_mode === 'static' && i.ip_address && i.subnet ? findSubnet(subnets, i.subnet) : undefined;
    if (s) asked.add(s.id);
  }
  const addresses = new Map<number, SubnetAddress[]>();
  await Promise.all(
    [...asked].map(async (id) => addresses.set(id, await subnetAddresses(ctx.deps.maas.http, id, o))),
  );
  return { subnets, fabrics: fabricList, addresses };
}

/** What is wrong with the request whatever the machine. */
export function networkRequestProblems(req: NetworkRequest, machines: number): string[] {
  const problems: string[] = [];
  const bonds = req.bonds ?? [];
  const vlans = req.vlans ?? [];
  const ifs = req.interfaces ?? [];
  if (!bonds.length && !vlans.length && !ifs.length)
    problems.push('nothing asked: give bonds, vlans or interfaces');
  const dup = (names: string[], what: string) => {
    for (const n of new Set(names.filter((x, i) => names.indexOf(x) !== i)))
      problems.push(`${what} ${n} is given twice`);
  };
  dup(
    bonds.map((b) => b.name),
    'bond',
  );
  dup(
    vlans.map((v) => `${v.parent}.${v.vid}`),
    'VLAN interface',
  );
  const byName = new Map<string, typeof ifs>();
  for (const i of ifs) byName.set(i.name, [...(byName.get(i.name) ?? []), i]);
  ifs.forEach((i, n) => {
    const at = `interfaces[${n}] (${i.name})`;
    if (i.ip_address !== undefined && i.ip_mode !== 'static')
      problems.push(`${at}: ip_address needs ip_mode static`);
    if ((i.ip_mode === 'static' || i.ip_mode === 'auto') && !i.subnet)
      problems.push(`${at}: ip_mode ${i.ip_mode} needs a subnet`);
    if (i.default_gateway && i.ip_mode !== 'static' && i.ip_mode !== 'auto')
      problems.push(
        `${at}: default_gateway needs ip_mode static or auto (MAAS: "Cannot use in mode '${i.ip_mode ?? 'none'}'")`,
      );
    if (i.ip_mode === 'static' && i.ip_address && machines > 1)
      problems.push(
        `${at}: ip_address ${i.ip_address} fits one machine, not ${machines}: leave it out and MAAS picks a free address in ${i.subnet} for each`,
      );
    if (i.ip_mode === undefined && (i.subnet || i.default_gateway))
      problems.push(`${at}: subnet and default_gateway need an ip_mode`);
  });
  for (const [name, list] of byName) {
    const modes = list.filter((i) => i.ip_mode);
    if (modes.some((i) => i.ip_mode === 'link_up') && modes.length > 1)
      problems.push(`interface ${name}: link_up means no address, so it cannot go with other links`);
    if (modes.filter((i) => i.ip_mode === 'dhcp').length > 1)
      problems.push(`interface ${name}: dhcp is given twice`);
    const mtus = new Set(list.map((i) => i.mtu).filter((m) => m !== undefined));
    if (mtus.size > 1) problems.push(`interface ${name}: two different MTUs (${[...mtus].join(', ')})`);
  }
  return problems;
}

export function planNetwork(host: NetworkHost, world: NetworkWorld, req: NetworkRequest): NetworkPlan {
  const gatewayLinks = new Set(
    [host.gateways.ipv4.linkId, host.gateways.ipv6.linkId].filter((x) => x !== null),
  );
  const d: NetDraft = {
    host,
    world,
    nics: new Map(host.interfaces.map((i) => [i.name, nicFrom(i, gatewayLinks)])),
    plan: { tree: { interfaces: [] }, steps: [], unchanged: [], notes: [], warnings: [], problems: [] },
    askedMtu: new Map(),
  };
  for (const b of req.bonds ?? []) if (b.mtu) d.askedMtu.set(b.name, b.mtu);
  for (const i of req.interfaces ?? []) if (i.mtu) d.askedMtu.set(i.name, i.mtu);
  for (const b of req.bonds ?? []) planBond(d, b);
  for (const v of req.vlans ?? []) planVlan(d, v);
  planLinks(d, req.interfaces ?? []);
  d.plan.tree = { interfaces: [...d.nics.values()].map(treeInterface) };
  return d.plan;
}

const DEFAULTS = { mode: 'balance-rr', lacp_rate: 'fast', xmit_hash_policy: 'layer2', miimon: 100 } as const;

function planBond(d: NetDraft, b: BondSpec): void {
  const { host } = d;
  const members: Nic[] = [];
  for (const name of b.interfaces) {
    const m = d.nics.get(name);
    const other = containerOf(d, name);
    if (!m)
      problem(d, `bond ${b.name}: ${name} is not an interface of ${host.hostname} (it has ${known(d)})`);
    else if (m.type !== 'physical')
      problem(d, `bond ${b.name}: ${name} is a ${m.type} interface; MAAS bonds physical interfaces only`);
    else if (other && other.name !== b.name)
      problem(d, `bond ${b.name}: ${name} is already in ${other.name}`);
    else if (members.includes(m)) problem(d, `bond ${b.name}: ${name} is listed twice`);
    else members.push(m);
  }
  if (members.length !== b.interfaces.length) return;
  const vlans = new Set(members.map((m) => m.vlanId));
  if (vlans.size > 1) {
    problem(
      d,
      `bond ${b.name}: its members are on different VLANs (${members.map((m) => `${m.name}: ${vlanName(m)}`).join(', ')}); MAAS bonds interfaces on one VLAN`,
    );
    return;
  }
  if (b.lacp_rate && (b.mode ?? DEFAULTS.mode) !== '802.3ad')
    d.plan.warnings.push(`bond ${b.name}: lacp_rate only matters in mode 802.3ad`);
  const existing = d.nics.get(b.name);
  if (existing && existing.type !== 'bond') {
    problem(d, `${b.name} already exists on ${host.hostname} as a ${existing.type} interface`);
    return;
  }
  const first = members[0] as Nic;
  if (existing) {
    updateBond(d, existing, b);
  } else {
    d.plan.steps.push({
      op: 'create_bond',
      name: b.name,
      parents: [...b.interfaces],
      mode: b.mode,
      lacp_rate: b.lacp_rate,
      xmit_hash_policy: b.xmit_hash_policy,
      miimon: b.miimon,
      downdelay: b.downdelay,
      updelay: b.updelay,
      mtu: b.mtu,
    });
    if (!b.mode) d.plan.notes.push(`bond ${b.name} uses MAAS's default mode balance-rr`);
    d.nics.set(b.name, {
      name: b.name,
      id: null,
      type: 'bond',
      mac: first.mac,
      enabled: true,
      vlanId: first.vlanId,
      fabric: first.fabric,
      fabricId: first.fabricId,
      vid: first.vid,
      vlanMtu: first.vlanMtu,
      parents: [...b.interfaces],
      mtu: b.mtu ?? null,
      effective: b.mtu ?? first.vlanMtu,
      bond: {
        mode: b.mode ?? DEFAULTS.mode,
        lacp_rate: b.lacp_rate ?? DEFAULTS.lacp_rate,
        xmit_hash_policy: b.xmit_hash_policy ?? DEFAULTS.xmit_hash_policy,
        miimon: b.miimon ?? DEFAULTS.miimon,
      },
      links:
        first.vlanId === null
          ? []
          : [{ id: null, mode: 'link_up', subnetId: null, cidr: null, ip: null, gateway: false }],
    });
  }
  for (const m of members) {
    const lost = m.links.filter((l) => l.mode !== 'link_up');
    if (lost.length && !existing)
      d.plan.notes.push(
        `MAAS clears ${m.name}'s links (${lost.map((l) => `${l.mode}${l.ip ? ` ${l.ip}` : ''}`).join(', ')}) when it joins ${b.name}`,
      );
    if (!existing) m.links = [];
    if (b.mtu && m.effective < b.mtu) {
      d.plan.notes.push(`MAAS raises ${m.name} to MTU ${b.mtu} with ${b.name}`);
      m.effective = b.mtu;
    }
  }
  if (b.mtu && b.mtu > first.vlanMtu)
    d.plan.warnings.push(
      `bond ${b.name}: MTU ${b.mtu} is above its VLAN's ${first.vlanMtu} (${vlanName(first)}); the switches must carry it (a MAAS admin can raise the VLAN's MTU)`,
    );
}

/** An existing bond brought to what is asked with one PUT of the differences (MAAS keeps what is omitted). */
function updateBond(d: NetDraft, nic: Nic, b: BondSpec): void {
  const bond = nic.bond ?? { mode: DEFAULTS.mode, lacp_rate: null, xmit_hash_policy: null, miimon: null };
  const changes: Record<string, string | number> = {};
  const want = (
    key: string,
    asked: string | number | undefined,
    has: string | number | null,
    dflt?: string | number,
  ) => {
    if (asked !== undefined && asked !== (has ?? dflt)) changes[key] = asked;
  };
  want('bond_mode', b.mode, bond.mode);
  want('bond_lacp_rate', b.lacp_rate, bond.lacp_rate, DEFAULTS.lacp_rate);
  want('bond_xmit_hash_policy', b.xmit_hash_policy, bond.xmit_hash_policy, DEFAULTS.xmit_hash_policy);
  want('bond_miimon', b.miimon, bond.miimon, DEFAULTS.miimon);
  if (b.downdelay !== undefined) changes.bond_downdelay = b.downdelay;
  if (b.updelay !== undefined) changes.bond_updelay = b.updelay;
  if (b.mtu !== undefined && b.mtu !== nic.effective) changes.mtu = b.mtu;
  const sameMembers =
    nic.parents.length === b.interfaces.length && b.interfaces.every((n) => nic.parents.includes(n));
  // Delays are not in the tree; ask again only when something else differs.
  const differs =
    Object.keys(changes).some((k) => k !== 'bond_downdelay' && k !== 'bond_updelay') || !sameMembers;
  if (!differs) {
    d.plan.unchanged.push(`bond ${b.name} (${bond.mode} on ${nic.parents.join(', ')})`);
    return;
  }
  d.plan.steps.push({
    op: 'update_interface',
    name: b.name,
    changes,
    ...(sameMembers ? {} : { parents: [...b.interfaces] }),
  });
  nic.bond = {
    mode: String(changes.bond_mode ?? bond.mode),
    lacp_rate: String(changes.bond_lacp_rate ?? bond.lacp_rate ?? DEFAULTS.lacp_rate),
    xmit_hash_policy: String(
      changes.bond_xmit_hash_policy ?? bond.xmit_hash_policy ?? DEFAULTS.xmit_hash_policy,
    ),
    miimon: Number(changes.bond_miimon ?? bond.miimon ?? DEFAULTS.miimon),
  };
  if (typeof changes.mtu === 'number') nic.effective = nic.mtu = changes.mtu;
  nic.parents = [...b.interfaces];
}

function planVlan(d: NetDraft, v: VlanSpec): undefined {
  const name = `${v.parent}.${v.vid}`;
  const parent = d.nics.get(v.parent);
  if (!parent)
    return problem(
      d,
      `VLAN ${name}: ${v.parent} is not an interface of ${d.host.hostname} (it has ${known(d)})`,
    );
  if (parent.type === 'vlan')
    return problem(
      d,
      `VLAN ${name}: ${v.parent} is itself a VLAN interface; MAAS puts a VLAN on a physical interface or a bond`,
    );
  const container = containerOf(d, v.parent);
  if (container)
    return problem(d, `VLAN ${name}: ${v.parent} is in ${container.name}; put the VLAN on ${container.name}`);
  if (parent.vlanId === null) return problem(d, `VLAN ${name}: ${v.parent} is not connected to a fabric`);
  const fabric = d.world.fabrics.find((f) => f.id === parent.fabricId || f.name === parent.fabric);
  const vlan = fabric?.vlans.find((x) => x.vid === v.vid);
  if (!fabric || !vlan || vlan.id === undefined) {
    const has = fabric?.vlans.filter((x) => x.vid !== 0).map((x) => x.vid) ?? [];
    return problem(
      d,
      `VLAN ${name}: fabric ${parent.fabric} has no VLAN ${v.vid}${has.length ? ` (it has ${has.join(', ')})` : ''}; a MAAS admin adds it to the fabric first`,
    );
  }
  const parentMtu = d.askedMtu.get(v.parent);
  if (v.mtu && parentMtu !== undefined && v.mtu > parentMtu)
    return problem(
      d,
      `VLAN ${name}: MTU ${v.mtu} is above ${v.parent}'s ${parentMtu}, asked in the same call`,
    );
  if (v.mtu && v.mtu > parent.effective) {
    d.plan.notes.push(`MAAS raises ${v.parent} to MTU ${v.mtu} to carry ${name}`);
    parent.effective = v.mtu;
  }
  const existing = d.nics.get(name);
  if (existing) {
    if (existing.type !== 'vlan' || existing.vlanId !== vlan.id)
      return problem(
        d,
        `${name} already exists on ${d.host.hostname} as a ${existing.type} interface on ${vlanName(existing)}`,
      );
    if (v.mtu !== undefined && v.mtu !== existing.effective) {
      d.plan.steps.push({ op: 'update_interface', name, changes: { mtu: v.mtu } });
      existing.effective = existing.mtu = v.mtu;
    } else d.plan.unchanged.push(`VLAN interface ${name}`);
    return undefined;
  }
  d.plan.steps.push({ op: 'create_vlan', name, parent: v.parent, vlan_id: vlan.id, vid: v.vid, mtu: v.mtu });
  d.nics.set(name, {
    name,
    id: null,
    type: 'vlan',
    mac: parent.mac,
    enabled: true,
    vlanId: vlan.id,
    fabric: parent.fabric,
    fabricId: parent.fabricId,
    vid: v.vid,
    vlanMtu: vlan.mtu ?? 1500,
    parents: [v.parent],
    mtu: v.mtu ?? null,
    effective: v.mtu ?? vlan.mtu ?? 1500,
    bond: null,
    links: [{ id: null, mode: 'link_up', subnetId: null, cidr: null, ip: null, gateway: false }],
  });
  return undefined;
}
