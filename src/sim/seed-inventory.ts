/**
 * The fixed part of the seeded MAAS: users (keys from the seed), domain, zones, pools, tags, fabrics, VLANs,
 * subnets, two controllers and a few devices.
 */

import { hardwareInfo, makeNic } from './hardware.ts';
import { ScriptStatus, type SimNode, type SimState, type SimUserRecord } from './model.ts';
import type { Rng } from './random.ts';
import { S } from './status.ts';

export const MAAS_VERSION = '3.7.3-16504-g.9122eee68';

/** Subnet ids the machine seeding relies on. */
export const SUBNET = { main: 1, storage: 2, v6: 3, fleet: 4, oob: 5, data: 6, tenantA: 7 } as const;
export const VLAN = {
  untagged: 5001,
  storage: 5002,
  oob: 5003,
  data: 5004,
  tenantA: 5005,
  tenantB: 5006,
} as const;

function user(
  state: SimState,
  rng: Rng,
  username: string,
  isSuperuser: boolean,
  isActive = true,
): SimUserRecord {
  const u: SimUserRecord = {
    id: state.nextId('user'),
    username,
    email: `${username}@example.com`,
    isSuperuser,
    isActive,
    consumerKey: rng.alnum(18),
    tokenKey: rng.alnum(18),
    tokenSecret: rng.alnum(32),
  };
  state.users.set(username, u);
  return u;
}

export function seedUsers(state: SimState, rng: Rng): void {
  user(state, rng, 'admin', true);
  user(state, rng, 'alice', false);
  user(state, rng, 'bob', false);
  user(state, rng, 'node-init', false, false);
}

export function seedPlacement(state: SimState): void {
  state.domains.set(0, { id: 0, name: 'maas', authoritative: true, ttl: null, isDefault: true });
  state.domains.set(1, { id: 1, name: 'lab.example', authoritative: true, ttl: 300, isDefault: false });
  const zones: [string, string][] = [
    ['default', ''],
    ['zone-a', 'Row A, racks 1-4 (DC1)'],
    ['zone-b', 'Row B, racks 5-8 (DC1)'],
  ];
  for (const [name, description] of zones) {
    const id = state.nextId('zone');
    state.zones.set(id, { id, name, description });
  }
  const pools: [string, string][] = [
    ['default', 'Default pool'],
    ['production', 'Customer-facing workloads'],
    ['staging', 'Pre-production and experiments'],
  ];
  for (const [name, description] of pools) {
    const id = state.nextId('pool', 0);
    state.pools.set(id, { id, name, description });
  }
  const tags: [string, string, string][] = [
    ['virtual', '//node[@class="system"]/vendor = "QEMU"', 'Virtual machines (KVM)'],
    ['gpu', '', 'Has NVIDIA GPUs'],
    ['ssd', '', ''],
    ['nvme', '', 'NVMe storage'],
    ['storage', '', 'Storage-dense nodes'],
    ['compute', '', ''],
    ['edge', '', 'Edge sites'],
    ['k8s', '', 'Kubernetes workers'],
  ];
  for (const [name, definition, comment] of tags)
    state.tags.set(name, { name, definition, comment, kernelOpts: '' });
}

/**
 * Three fabrics: fabric-0 (PXE, untagged, and the tagged storage VLAN 20), fabric-1 (out-of-band management) and
 * `data` (an untagged data VLAN the machines' spare NIC pairs sit on, plus tagged tenant VLANs 100 and 200). The
 * out-of-band VLAN and VLAN 200 stay in no space, so the space list also shows MAAS's `undefined` pseudo-space.
 */
export function seedNetwork(state: SimState, rackSystemId: string): void {
  state.fabrics.set(0, { id: 0, name: 'fabric-0', classType: null, description: '' });
  state.fabrics.set(1, { id: 1, name: 'fabric-1', classType: null, description: 'Out-of-band management' });
  state.fabrics.set(2, { id: 2, name: 'data', classType: '25g', description: 'Top-of-rack data network' });
  const space = (name: string, description: string) => {
    const id = state.nextId('space');
    state.spaces.set(id, { id, name, description });
    return id;
  };
  const management = space('management', 'Hosts and PXE');
  const storage = space('storage', 'Storage replication');
  const data = space('data', 'East-west application traffic');
  const publicSpace = space('public', 'Tenant-facing services');
  const vlan = (
    id: number,
    vid: number,
    name: string | null,
    fabricId: number,
    dhcpOn: boolean,
    spaceId: number | null,
    mtu = 1500,
  ) =>
    state.vlans.set(id, {
      id,
      vid,
      name,
      description: '',
      fabricId,
      mtu,
      dhcpOn,
      externalDhcp: null,
      primaryRack: dhcpOn ? rackSystemId : null,
      secondaryRack: null,
      relayVlanId: null,
      spaceId,
    });
  vlan(VLAN.untagged, 0, 'untagged', 0, true, management);
  vlan(VLAN.storage, 20, 'storage', 0, false, storage);
  vlan(VLAN.oob, 0, 'untagged', 1, false, null);
  vlan(VLAN.data, 0, 'untagged', 2, false, data, 9000);
  vlan(VLAN.tenantA, 100, 'tenant-a', 2, false, publicSpace, 9000);
  vlan(VLAN.tenantB, 200, 'tenant-b', 2, false, null, 9000);
  const subnet = (id: number, cidr: string, vlanId: number, gatewayIp: string | null, name = cidr) =>
    state.subnets.set(id, {
      id,
      name,
      cidr,
      vlanId,
      gatewayIp,
      dnsServers: [],
      description: '',
      rdnsMode: 2,
      allowDns: true,
      allowProxy: true,
      activeDiscovery: false,
      managed: true,
    });
  subnet(SUBNET.main, '10.10.0.0/24', VLAN.untagged, '10.10.0.1');
  subnet(SUBNET.storage, '10.20.0.0/24', VLAN.storage, '10.20.0.1');
  subnet(SUBNET.v6, '2001:db8:10::/64', VLAN.untagged, '2001:db8:10::1');
  subnet(SUBNET.fleet, '10.128.0.0/16', VLAN.untagged, '10.128.0.1');
  subnet(SUBNET.oob, '10.30.0.0/24', VLAN.oob, null);
  subnet(SUBNET.data, '10.40.0.0/22', VLAN.data, '10.40.0.1');
  subnet(SUBNET.tenantA, '10.100.0.0/24', VLAN.tenantA, '10.100.0.1');
  const range = (
    subnetId: number,
    type: 'dynamic' | 'reserved',
    start: string,
    end: string,
    comment: string,
  ) => {
    const id = state.nextId('iprange');
    state.ipRanges.set(id, { id, subnetId, type, start, end, comment });
  };
  range(SUBNET.main, 'dynamic', '10.10.0.200', '10.10.0.239', 'PXE and enlistment');
  range(SUBNET.data, 'dynamic', '10.40.3.0', '10.40.3.254', 'DHCP for data NICs');
  range(
    SUBNET.tenantA,
    'reserved',
    '10.100.0.2',
    '10.100.0.9',
    'Virtual IPs (load balancers, API endpoints)',
  );
  range(SUBNET.tenantA, 'dynamic', '10.100.0.200', '10.100.0.250', '');
}

/** A DNS name MAAS serves besides the machines: `proxy.lab.example` (the region) and a CNAME for the docs site. */
export function seedDns(state: SimState): void {
  const proxy = state.nextId('dnsresource');
  state.dnsResources.set(proxy, {
    id: proxy,
    name: 'proxy',
    domainId: 1,
    addressTtl: 300,
    ips: ['10.10.0.2'],
  });
  const docs = state.nextId('dnsresource');
  state.dnsResources.set(docs, { id: docs, name: 'docs', domainId: 1, addressTtl: null, ips: [] });
  const record = state.nextId('dnsdata');
  state.dnsRecords.set(record, {
    id: record,
    resourceId: docs,
    rrtype: 'CNAME',
    rrdata: 'web-01.maas.',
    ttl: null,
  });
}

/** A node record with neutral values; seeders and creators fill what their kind uses. */
export function blankNode(systemId: string, hostname: string, kind: SimNode['kind']): SimNode {
  return {
    systemId,
    kind,
    hostname,
    description: '',
    hardwareUuid: null,
    domainId: 0,
    zoneId: 1,
    poolId: 0,
    owner: null,
    ownerData: {},
    parent: null,
    tags: [],
    locked: false,
    status: S.NEW,
    previousStatus: S.NEW,
    rescueReturnStatus: null,
    testReturnStatus: null,
    errorDescription: '',
    architecture: '',
    minHweKernel: '',
    hweKernel: null,
    cpuCount: 0,
    cpuSpeed: 0,
    memory: 0,
    swapSize: null,
    hardwareInfo: {},
    biosBootMethod: null,
    osystem: '',
    distroSeries: '',
    ephemeralDeploy: false,
    netboot: true,
    enableHwSync: false,
    enableKernelCrashDump: false,
    powerType: '',
    powerParameters: {},
    powerState: 'unknown',
    agentName: '',
    userData: null,
    interfaces: [],
    bootInterfaceId: null,
    gatewayLinkIpv4: null,
    gatewayLinkIpv6: null,
    blockDevices: [],
    bootDiskId: null,
    groups: [],
    cacheSets: [],
    specialFilesystems: [],
    scripts: {
      commissioning: ScriptStatus.NONE,
      testing: ScriptStatus.NONE,
      cpu: ScriptStatus.NONE,
      memory: ScriptStatus.NONE,
      network: ScriptStatus.NONE,
      storage: ScriptStatus.NONE,
      other: ScriptStatus.NONE,
      interface: ScriptStatus.NONE,
      commissioningResultId: null,
      testingResultId: null,
      installationResultId: null,
    },
    latent: null,
    events: [],
    version: '',
    services: [],
  };
}

const RACK_SERVICES = [
  'rackd',
  'tftp',
  'http',
  'dhcpd',
  'dhcpd6',
  'ntp_rack',
  'dns_rack',
  'proxy_rack',
  'syslog_rack',
];

export function seedControllers(state: SimState, rng: Rng): string {
  const specs: [string, SimNode['kind'], string][] = [
    ['maas-ctrl', 'region+rack', '10.10.0.2'],
    ['rack-02', 'rack', '10.10.0.3'],
  ];
  let first = '';
  for (const [hostname, kind, ip] of specs) {
    const n = blankNode(state.newSystemId(), hostname, kind);
    n.architecture = 'amd64/generic';
    n.cpuCount = 8;
    n.cpuSpeed = 2400;
    n.memory = 32768;
    n.osystem = 'ubuntu';
    n.distroSeries = 'jammy';
    n.status = S.DEPLOYED;
    n.powerState = 'on';
    n.hardwareInfo = hardwareInfo(rng, 'dell');
    n.version = MAAS_VERSION;
    const nic = makeNic(state, rng, 'eno1', VLAN.untagged, false);
    nic.links = [{ id: state.nextId('link'), mode: 'static', subnetId: SUBNET.main, ip }];
    n.interfaces = [nic];
    n.bootInterfaceId = nic.id;
    // The secondary rack's DHCP is idle: its VLANs are served by the primary.
    n.services = RACK_SERVICES.map((name) =>
      kind === 'rack' && name.startsWith('dhcpd')
        ? { name, status: 'off', status_info: '' }
        : { name, status: 'running', status_info: '' },
    );
    state.addNode(n);
    if (!first) first = n.systemId;
  }
  return first;
}

export function seedDevices(state: SimState, rng: Rng): void {
  const specs: [string, string, string, string][] = [
    ['sw-core-01', 'Core switch, row A', 'admin', '10.10.0.250'],
    ['sw-tor-b1', 'Top-of-rack switch, rack B1', 'admin', '10.10.0.251'],
    ['pdu-a1', 'Switched PDU, rack A1', 'admin', '10.10.0.252'],
    ['kvm-console-01', "Alice's lab KVM console", 'alice', '10.10.0.253'],
  ];
  for (const [hostname, description, owner, ip] of specs) {
    const n = blankNode(state.newSystemId(), hostname, 'device');
    n.description = description;
    n.owner = owner;
    n.zoneId = 2;
    const nic = makeNic(state, rng, 'eth0', VLAN.untagged, false);
    nic.links = [{ id: state.nextId('link'), mode: 'static', subnetId: SUBNET.main, ip }];
    n.interfaces = [nic];
    state.addNode(n);
  }
}
