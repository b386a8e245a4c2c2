/**
 * JSON for the network pieces nested inside nodes: VLANs, subnets and interfaces (with links).
 * The repetition (a full subnet and VLAN inside every link) is MAAS's, and is why machine JSON is big.
 */

import type { SimInterface, SimNode, SimState, SimSubnet, SimVlan } from './model.ts';
import { API } from './paths.ts';

/** `VLAN.get_name`: a fabric's default (first) VLAN is `untagged`, the others their name (or null). */
export function vlanName(state: SimState, vlan: SimVlan): string | null {
  let first: SimVlan | undefined;
  for (const v of state.vlans.values())
    if (v.fabricId === vlan.fabricId && (!first || v.id < first.id)) first = v;
  return first === vlan ? 'untagged' : vlan.name;
}

export function renderVlan(state: SimState, vlan: SimVlan): Record<string, unknown> {
  return {
    vid: vlan.vid,
    mtu: vlan.mtu,
    dhcp_on: vlan.dhcpOn,
    external_dhcp: vlan.externalDhcp,
    relay_vlan: null,
    fabric: state.fabrics.get(vlan.fabricId)?.name ?? null,
    space: state.vlanSpaceName(vlan.id),
    primary_rack: vlan.primaryRack,
    secondary_rack: vlan.secondaryRack,
    name: vlanName(state, vlan),
    id: vlan.id,
    fabric_id: vlan.fabricId,
    resource_uri: `${API}vlans/${vlan.id}/`,
  };
}

export function renderSubnet(state: SimState, subnet: SimSubnet): Record<string, unknown> {
  const vlan = state.vlans.get(subnet.vlanId);
  return {
    name: subnet.name,
    description: subnet.description,
    vlan: vlan ? renderVlan(state, vlan) : null,
    cidr: subnet.cidr,
    rdns_mode: subnet.rdnsMode,
    gateway_ip: subnet.gatewayIp,
    dns_servers: subnet.dnsServers,
    allow_dns: subnet.allowDns,
    allow_proxy: subnet.allowProxy,
    active_discovery: subnet.activeDiscovery,
    managed: subnet.managed,
    disabled_boot_architectures: [],
    space: state.vlanSpaceName(subnet.vlanId),
    id: subnet.id,
    resource_uri: `${API}subnets/${subnet.id}/`,
  };
}

function renderLinks(state: SimState, iface: SimInterface): Record<string, unknown>[] {
  return iface.links.map((link) => {
    const out: Record<string, unknown> = { id: link.id, mode: link.mode };
    const subnet = link.subnetId === null ? undefined : state.subnets.get(link.subnetId);
    if (subnet) out.subnet = renderSubnet(state, subnet);
    if (link.ip) out.ip_address = link.ip;
    return out;
  });
}

export function explicitMtu(i: SimInterface): number | undefined {
  const v = i.params?.mtu;
  return typeof v === 'number' ? v : undefined;
}

/** `Interface.get_effective_mtu`: the explicit MTU, else the VLAN's, else 1500; never below a child's. */
export function effectiveMtu(state: SimState, n: SimNode, i: SimInterface): number {
  const vlan = i.vlanId === null ? undefined : state.vlans.get(i.vlanId);
  let mtu = explicitMtu(i) ?? vlan?.mtu ?? 1500;
  for (const child of n.interfaces)
    if (child.parents.includes(i.id)) mtu = Math.max(mtu, effectiveMtu(state, n, child));
  return mtu;
}

export function renderInterface(
  state: SimState,
  node: SimNode,
  iface: SimInterface,
): Record<string, unknown> {
  const vlan = iface.vlanId === null ? undefined : state.vlans.get(iface.vlanId);
  const byId = (id: number) => node.interfaces.find((i) => i.id === id)?.name;
  const children = node.interfaces.filter((i) => i.parents.includes(iface.id)).map((i) => i.name);
  return {
    params: iface.params ?? '',
    numa_node: iface.numaNode,
    tags: iface.tags,
    id: iface.id,
    name: iface.name,
    type: iface.type,
    vlan: vlan ? renderVlan(state, vlan) : null,
    mac_address: iface.mac,
    parents: iface.parents.map(byId).filter((n): n is string => n !== undefined),
    children,
    enabled: iface.enabled,
    links: renderLinks(state, iface),
    discovered: iface.type === 'physical' ? [] : null,
    effective_mtu: effectiveMtu(state, node, iface),
    vendor: iface.vendor,
    product: iface.product,
    firmware_version: iface.firmwareVersion,
    link_connected: iface.linkConnected,
    interface_speed: iface.interfaceSpeed,
    link_speed: iface.linkSpeed,
    sriov_max_vf: iface.sriovMaxVf,
    system_id: node.systemId,
    resource_uri: `${API}nodes/${node.systemId}/interfaces/${iface.id}/`,
  };
}
