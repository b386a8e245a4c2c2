/**
 * Node JSON: the 3.7.3 machine field set (MAAS `maasserver/api/machines.py`; 80 fields + resource_uri), the 2.9
 * variant, the anonymous view, devices and controllers. Power parameters and user_data are never rendered here.
 */

import { nodeIps } from './addressing.ts';
import { pyFloat } from './json.ts';
import {
  EVENT_LEVELS,
  ScriptStatus,
  type SimFsGroup,
  type SimNode,
  type SimPool,
  type SimState,
  type SimTag,
  type SimZone,
} from './model.ts';
import { API } from './paths.ts';
import { renderInterface } from './render-net.ts';
import { renderBlockDevice, renderFilesystem } from './render-storage.ts';
import { statusLabel } from './status.ts';
import { bootDisk, isRaid } from './storage-model.ts';

const SCRIPT_STATUS_NAMES: Record<ScriptStatus, string> = {
  [ScriptStatus.NONE]: 'Unknown',
  [ScriptStatus.PENDING]: 'Pending',
  [ScriptStatus.RUNNING]: 'Running',
  [ScriptStatus.PASSED]: 'Passed',
  [ScriptStatus.FAILED]: 'Failed',
  [ScriptStatus.TIMEDOUT]: 'Timed out',
  [ScriptStatus.ABORTED]: 'Aborted',
  [ScriptStatus.DEGRADED]: 'Degraded',
  [ScriptStatus.INSTALLING]: 'Installing dependencies',
  [ScriptStatus.FAILED_INSTALLING]: 'Failed installing dependencies',
  [ScriptStatus.SKIPPED]: 'Skipped',
  [ScriptStatus.APPLYING_NETCONF]: 'Applying custom network configuration',
  [ScriptStatus.FAILED_APPLYING_NETCONF]: 'Failed to apply custom network configuration',
};

const scriptName = (s: ScriptStatus) => SCRIPT_STATUS_NAMES[s];

/** Fields MAAS 3.x added (absent from a 2.9 answer). */
const ADDED_IN_3X = [
  'interface_set',
  'workload_annotations',
  'last_sync',
  'sync_interval',
  'next_sync',
  'parent',
  'enable_hw_sync',
  'ephemeral_deploy',
  'error_description',
  'enable_kernel_crash_dump',
  'is_dpu',
];

export function renderZone(z: SimZone): Record<string, unknown> {
  return { name: z.name, description: z.description, id: z.id, resource_uri: `${API}zones/${z.name}/` };
}

export function renderPool(p: SimPool): Record<string, unknown> {
  return { name: p.name, description: p.description, id: p.id, resource_uri: `${API}resourcepool/${p.id}/` };
}

export function renderTag(t: SimTag): Record<string, unknown> {
  return {
    name: t.name,
    definition: t.definition,
    comment: t.comment,
    kernel_opts: t.kernelOpts,
    resource_uri: `${API}tags/${t.name}/`,
  };
}

export function renderDomain(state: SimState, id: number): Record<string, unknown> {
  const d = state.domains.get(id) ?? state.defaultDomain();
  return {
    authoritative: d.authoritative,
    ttl: d.ttl,
    is_default: d.isDefault,
    resource_record_count: state.domainNodeCount(d.id),
    id: d.id,
    name: d.name,
    resource_uri: `${API}domains/${d.id}/`,
  };
}

function fqdn(state: SimState, n: SimNode): string {
  return `${n.hostname}.${(state.domains.get(n.domainId) ?? state.defaultDomain()).name}`;
}

/** `status_message`: the latest event at INFO or above (`Node.status_message`). */
function statusMessage(n: SimNode): string | null {
  for (let i = n.events.length - 1; i >= 0; i--) {
    const e = n.events[i];
    if (!e || EVENT_LEVELS[e.level] < EVENT_LEVELS.INFO) continue;
    return e.description ? `${e.type} - ${e.description}` : e.type;
  }
  return null;
}

function zoneOf(state: SimState, n: SimNode): Record<string, unknown> {
  const z = state.zones.get(n.zoneId) ?? state.zoneByName('default');
  return z ? renderZone(z) : {};
}

/** `volume_groups`, `raids`, `bcaches`, `cache_sets`: references MAAS leaves for the client to fetch. */
function incomplete(n: SimNode, ids: number[]): Record<string, unknown>[] {
  return ids.map((id) => ({ system_id: n.systemId, id, __incomplete__: true }));
}

const groupIds = (n: SimNode, keep: (g: SimFsGroup) => boolean) => n.groups.filter(keep).map((g) => g.id);

/**
 * `default_gateways`: the links `set_default_gateway` chose, else the first usable link of each family (a link with a
 * subnet that has a gateway).
 */
function defaultGateways(state: SimState, n: SimNode): Record<string, unknown> {
  const out: Record<'ipv4' | 'ipv6', { gateway_ip: string | null; link_id: number | null }> = {
    ipv4: { gateway_ip: null, link_id: null },
    ipv6: { gateway_ip: null, link_id: null },
  };
  const chosen: Record<'ipv4' | 'ipv6', number | null> = { ipv4: n.gatewayLinkIpv4, ipv6: n.gatewayLinkIpv6 };
  for (const iface of n.interfaces) {
    for (const l of iface.links) {
      const s = l.subnetId === null ? undefined : state.subnets.get(l.subnetId);
      if (!s?.gatewayIp || l.mode === 'link_up') continue;
      const fam = s.cidr.includes(':') ? 'ipv6' : 'ipv4';
      if (chosen[fam] === l.id) out[fam] = { gateway_ip: s.gatewayIp, link_id: l.id };
      else if (chosen[fam] === null && out[fam].gateway_ip === null)
        out[fam] = { gateway_ip: s.gatewayIp, link_id: null };
    }
  }
  return out;
}

function numaNodes(n: SimNode): Record<string, unknown>[] {
  const nodes = n.cpuCount >= 32 ? 2 : 1;
  const per = Math.ceil(n.cpuCount / nodes);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < nodes; i++) {
    const cores: number[] = [];
    for (let c = i * per; c < Math.min(n.cpuCount, (i + 1) * per); c++) cores.push(c);
    out.push({ index: i, memory: Math.floor(n.memory / nodes), cores, hugepages_set: [] });
  }
  return out;
}

/** Full machine JSON. `extra` adds answer-specific keys (allocate's `constraints_by_type`). */
export function renderMachine(
  state: SimState,
  n: SimNode,
  extra?: Record<string, unknown>,
): Record<string, unknown> {
  const pool = state.pools.get(n.poolId);
  const physical = n.blockDevices.filter((d) => d.type === 'physical');
  const virtual = n.blockDevices.filter((d) => d.type === 'virtual');
  const boot = bootDisk(n);
  const bootIface = n.interfaces.find((i) => i.id === n.bootInterfaceId);
  const s = n.scripts;
  const m: Record<string, unknown> = {
    description: n.description,
    status_name: statusLabel(n.status),
    bcaches: incomplete(
      n,
      groupIds(n, (g) => g.type === 'bcache'),
    ),
    storage_test_status: s.storage,
    memory_test_status_name: scriptName(s.memory),
    pool: pool ? renderPool(pool) : null,
    cpu_test_status: s.cpu,
    status_action: '',
    node_type_name: 'Machine',
    min_hwe_kernel: n.minHweKernel,
    tag_names: n.tags,
    architecture: n.architecture,
    hwe_kernel: n.hweKernel,
    bios_boot_method: n.biosBootMethod,
    cpu_count: n.cpuCount,
    boot_interface: bootIface ? renderInterface(state, n, bootIface) : null,
    memory: n.memory,
    swap_size: n.swapSize,
    ip_addresses: nodeIps(n),
    storage: pyFloat(physical.reduce((sum, d) => sum + d.size, 0) / 1e6),
    numanode_set: numaNodes(n),
    testing_status_name: scriptName(s.testing),
    netboot: n.netboot,
    address_ttl: null,
    cpu_test_status_name: scriptName(s.cpu),
    enable_hw_sync: n.enableHwSync,
    domain: renderDomain(state, n.domainId),
    other_test_status: s.other,
    memory_test_status: s.memory,
    interface_test_status: s.interface,
    status: n.status,
    current_installation_result_id: s.installationResultId,
    next_sync: null,
    hostname: n.hostname,
    is_dpu: false,
    storage_test_status_name: scriptName(s.storage),
    commissioning_status: s.commissioning,
    power_type: n.powerType,
    volume_groups: incomplete(
      n,
      groupIds(n, (g) => g.type === 'lvm-vg'),
    ),
    network_test_status: s.network,
    current_testing_result_id: s.testingResultId,
    other_test_status_name: scriptName(s.other),
    hardware_uuid: n.hardwareUuid,
    locked: n.locked,
    error_description: n.errorDescription,
    default_gateways: defaultGateways(state, n),
    fqdn: fqdn(state, n),
    pod: null,
    owner: n.owner,
    commissioning_status_name: scriptName(s.commissioning),
    boot_disk: boot ? renderBlockDevice(n, boot) : null,
    sync_interval: null,
    parent: null,
    blockdevice_set: n.blockDevices.map((d) => renderBlockDevice(n, d)),
    interface_set: n.interfaces.map((i) => renderInterface(state, n, i)),
    status_message: statusMessage(n),
    cpu_speed: n.cpuSpeed,
    last_sync: null,
    current_commissioning_result_id: s.commissioningResultId,
    enable_kernel_crash_dump: n.enableKernelCrashDump,
    raids: incomplete(n, groupIds(n, isRaid)),
    virtualblockdevice_set: virtual.map((d) => renderBlockDevice(n, d)),
    owner_data: n.ownerData,
    osystem: n.osystem,
    node_type: 0,
    power_state: n.powerState,
    special_filesystems: n.specialFilesystems.map(renderFilesystem),
    hardware_info: n.hardwareInfo,
    physicalblockdevice_set: physical.map((d) => renderBlockDevice(n, d)),
    disable_ipv4: false,
    distro_series: n.distroSeries,
    workload_annotations: n.ownerData,
    ephemeral_deploy: n.ephemeralDeploy,
    testing_status: s.testing,
    network_test_status_name: scriptName(s.network),
    cache_sets: incomplete(
      n,
      n.cacheSets.map((c) => c.id),
    ),
    system_id: n.systemId,
    zone: zoneOf(state, n),
    interface_test_status_name: scriptName(s.interface),
    virtualmachine_id: null,
    ...extra,
    resource_uri: `${API}machines/${n.systemId}/`,
  };
  if (state.fieldSet === '2.9') {
    for (const k of ADDED_IN_3X) delete m[k];
    m.iscsiblockdevice_set = [];
  }
  return m;
}

/** `DISPLAYED_ANON_MACHINE_FIELDS` (anonymous enlistment answer). */
export function renderAnonMachine(state: SimState, n: SimNode): Record<string, unknown> {
  return {
    system_id: n.systemId,
    hostname: n.hostname,
    domain: renderDomain(state, n.domainId),
    fqdn: fqdn(state, n),
    architecture: n.architecture,
    status: n.status,
    power_type: n.powerType,
    power_state: n.powerState,
    zone: zoneOf(state, n),
    status_action: '',
    status_message: statusMessage(n),
    status_name: statusLabel(n.status),
    node_type: 0,
    resource_uri: `${API}machines/${n.systemId}/`,
  };
}

export function renderDevice(state: SimState, n: SimNode): Record<string, unknown> {
  return {
    system_id: n.systemId,
    hostname: n.hostname,
    description: n.description,
    domain: renderDomain(state, n.domainId),
    fqdn: fqdn(state, n),
    owner: n.owner,
    owner_data: n.ownerData,
    parent: n.parent,
    tag_names: n.tags,
    address_ttl: null,
    ip_addresses: nodeIps(n),
    interface_set: n.interfaces.map((i) => renderInterface(state, n, i)),
    zone: zoneOf(state, n),
    node_type: 1,
    node_type_name: 'Device',
    workload_annotations: n.ownerData,
    resource_uri: `${API}devices/${n.systemId}/`,
  };
}

const CONTROLLER_TYPES = {
  rack: [2, 'Rack controller'],
  region: [3, 'Region controller'],
  'region+rack': [4, 'Region and rack controller'],
} as const;

export function renderController(
  state: SimState,
  n: SimNode,
  as: 'rack' | 'region',
): Record<string, unknown> {
  const [nodeType, typeName] =
    n.kind === 'machine' || n.kind === 'device' ? [2, 'Rack controller'] : CONTROLLER_TYPES[n.kind];
  const out: Record<string, unknown> = {
    system_id: n.systemId,
    hostname: n.hostname,
    description: n.description,
    hardware_uuid: n.hardwareUuid,
    domain: renderDomain(state, n.domainId),
    fqdn: fqdn(state, n),
    architecture: n.architecture,
    cpu_count: n.cpuCount,
    cpu_speed: n.cpuSpeed,
    memory: n.memory,
    osystem: n.osystem,
    distro_series: n.distroSeries,
    power_type: n.powerType,
    power_state: n.powerState,
    ip_addresses: nodeIps(n),
    interface_set: n.interfaces.map((i) => renderInterface(state, n, i)),
    zone: zoneOf(state, n),
    tag_names: n.tags,
    node_type: nodeType,
    node_type_name: typeName,
    status_action: '',
    version: n.version,
    hardware_info: n.hardwareInfo,
  };
  if (as === 'rack') out.service_set = n.services;
  out.resource_uri = `${API}${as === 'rack' ? 'rackcontrollers' : 'regioncontrollers'}/${n.systemId}/`;
  return out;
}

/** The JSON a `/nodes/`-style listing gives for any node kind. */
export function renderAnyNode(state: SimState, n: SimNode): Record<string, unknown> {
  if (n.kind === 'machine') return renderMachine(state, n);
  if (n.kind === 'device') return renderDevice(state, n);
  return renderController(state, n, n.kind === 'region' ? 'region' : 'rack');
}
