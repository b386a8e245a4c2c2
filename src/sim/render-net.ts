/**
 * JSON for the pieces nested inside nodes: VLANs, subnets, interfaces (with links), block devices and partitions.
 * The repetition (a full subnet and VLAN inside every link) is MAAS's, and is why machine JSON is big.
 */

import type {
  SimBlockDevice,
  SimFilesystem,
  SimInterface,
  SimNode,
  SimPartition,
  SimState,
  SimSubnet,
  SimVlan,
} from './model.ts';
import { API } from './paths.ts';

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
    name: vlan.name,
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
    effective_mtu: vlan ? Math.min(vlan.mtu, iface.mtu) : iface.mtu,
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

export function renderFilesystem(fs: SimFilesystem | null): Record<string, unknown> | null {
  if (!fs) return null;
  return {
    fstype: fs.fstype,
    label: fs.label,
    uuid: fs.uuid,
    mount_point: fs.mountPoint,
    mount_options: fs.mountOptions,
  };
}

function usedFor(fs: SimFilesystem | null): string {
  if (!fs) return 'Unused';
  if (fs.fstype === 'lvm-pv') return 'LVM volume for vgroot';
  return fs.mountPoint
    ? `${fs.fstype} formatted filesystem mounted at ${fs.mountPoint}`
    : `Unmounted ${fs.fstype} formatted filesystem`;
}

/** MAAS reserves room for the partition table's metadata. */
const TABLE_OVERHEAD = 4 * 1024 * 1024;

function deviceUsage(dev: SimBlockDevice): { used: number; available: number; usedFor: string } {
  if (dev.filesystem) return { used: dev.size, available: 0, usedFor: usedFor(dev.filesystem) };
  if (dev.partitions.length === 0) return { used: 0, available: dev.size, usedFor: 'Unused' };
  const used = dev.partitions.reduce((sum, p) => sum + p.size, 0) + TABLE_OVERHEAD;
  const n = dev.partitions.length;
  return {
    used,
    available: Math.max(0, dev.size - used),
    usedFor: `${dev.partitionTableType ?? 'GPT'} partitioned with ${n} partition${n === 1 ? '' : 's'}`,
  };
}

function renderPartition(
  node: SimNode,
  dev: SimBlockDevice,
  p: SimPartition,
  index: number,
): Record<string, unknown> {
  return {
    uuid: p.uuid,
    size: p.size,
    bootable: p.bootable,
    tags: p.tags,
    path: `/dev/disk/by-dname/${dev.name}-part${index + 1}`,
    type: 'partition',
    filesystem: renderFilesystem(p.filesystem),
    used_for: usedFor(p.filesystem),
    system_id: node.systemId,
    device_id: dev.id,
    id: p.id,
    resource_uri: `${API}nodes/${node.systemId}/blockdevices/${dev.id}/partition/${p.id}`,
  };
}

export function renderBlockDevice(node: SimNode, dev: SimBlockDevice): Record<string, unknown> {
  const usage = deviceUsage(dev);
  return {
    id_path: dev.idPath || null,
    size: dev.size,
    block_size: dev.blockSize,
    tags: dev.tags,
    serial: dev.serial || null,
    uuid: dev.uuid,
    numa_node: dev.numaNode,
    available_size: usage.available,
    partition_table_type: dev.partitionTableType,
    model: dev.model || null,
    path: `/dev/disk/by-dname/${dev.name}`,
    partitions: dev.partitions.map((p, i) => renderPartition(node, dev, p, i)),
    type: dev.type,
    used_size: usage.used,
    filesystem: renderFilesystem(dev.filesystem),
    storage_pool: null,
    name: dev.name,
    used_for: usage.usedFor,
    id: dev.id,
    firmware_version: dev.firmwareVersion || null,
    system_id: node.systemId,
    resource_uri: `${API}nodes/${node.systemId}/blockdevices/${dev.id}/`,
  };
}
