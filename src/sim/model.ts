/**
 * The simulator's internal model: plain records, kept in one {@link SimState}. JSON shapes are produced on demand
 * by the renderers, never stored, so a 10,000-machine fleet stays small.
 */

import { Rng, SYSTEM_ID_ALPHABET } from './random.ts';
import type { Status } from './status.ts';
import { saveOnce, TxMap } from './tx.ts';

export type PowerState = 'on' | 'off' | 'unknown' | 'error';
export type NodeKind = 'machine' | 'device' | 'rack' | 'region' | 'region+rack';
export type LinkMode = 'auto' | 'dhcp' | 'static' | 'link_up';
export type EventLevel = 'AUDIT' | 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

export const EVENT_LEVELS: Readonly<Record<EventLevel, number>> = {
  AUDIT: 0,
  DEBUG: 10,
  INFO: 20,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
};

export interface SimUserRecord {
  id: number;
  username: string;
  email: string;
  isSuperuser: boolean;
  isActive: boolean;
  consumerKey: string;
  tokenKey: string;
  tokenSecret: string;
}

export interface SimZone {
  id: number;
  name: string;
  description: string;
}

export interface SimPool {
  id: number;
  name: string;
  description: string;
}

export interface SimTag {
  name: string;
  definition: string;
  comment: string;
  kernelOpts: string;
}

export interface SimDomain {
  id: number;
  name: string;
  authoritative: boolean;
  ttl: number | null;
  isDefault: boolean;
}

export interface SimFabric {
  id: number;
  name: string;
  classType: string | null;
  description: string;
}

/** A space groups VLANs (MAAS `maasserver/api/spaces.py`); a subnet is in its VLAN's space. */
export interface SimSpace {
  id: number;
  /** null: unnamed, shown as `space-<id>`. */
  name: string | null;
  description: string;
}

export interface SimVlan {
  id: number;
  vid: number;
  /** null: unnamed (a fabric's default VLAN always shows `untagged`). */
  name: string | null;
  description?: string;
  relayVlanId?: number | null;
  fabricId: number;
  mtu: number;
  dhcpOn: boolean;
  externalDhcp: string | null;
  primaryRack: string | null;
  secondaryRack: string | null;
  spaceId: number | null;
}

export interface SimSubnet {
  id: number;
  name: string;
  cidr: string;
  vlanId: number;
  gatewayIp: string | null;
  dnsServers: string[];
  description: string;
  rdnsMode: number;
  allowDns: boolean;
  allowProxy: boolean;
  activeDiscovery: boolean;
  managed: boolean;
}

export interface SimLink {
  id: number;
  mode: LinkMode;
  subnetId: number | null;
  ip: string | null;
}

/** An IP range on a subnet (MAAS `IPRange`): `dynamic` (DHCP) or `reserved`. */
export interface SimIpRange {
  id: number;
  subnetId: number;
  type: 'dynamic' | 'reserved';
  start: string;
  end: string;
  comment: string;
}

/** A DNS resource (MAAS `DNSResource`): a name in a domain with addresses and other records. */
export interface SimDnsResource {
  id: number;
  /** A single label, `@` for the domain itself, `*`, or `""`. */
  name: string;
  domainId: number;
  /** null: the domain's default TTL. */
  addressTtl: number | null;
  /** Addresses by IP; each is either held by a node or reserved by a user (`USER_RESERVED`). */
  ips: string[];
}

/** A non-address DNS record (MAAS `DNSData`): CNAME, MX, NS, SRV, SSHFP or TXT. */
export interface SimDnsRecord {
  id: number;
  resourceId: number;
  rrtype: string;
  rrdata: string;
  ttl: number | null;
}

/** An address MAAS tracks without a node link: `USER_RESERVED` (alloc_type 4), owned by whoever reserved it. */
export interface SimReservedIp {
  ip: string;
  subnetId: number | null;
  owner: string;
  created: number;
}

export interface SimInterface {
  id: number;
  name: string;
  type: 'physical' | 'bond' | 'bridge' | 'vlan' | 'alias' | 'unknown';
  mac: string;
  vlanId: number | null;
  parents: number[];
  enabled: boolean;
  tags: string[];
  links: SimLink[];
  /** Bond/bridge parameters, `mtu` and `accept-ra` (MAAS keeps them all in `params`); null when empty. */
  params: Record<string, string | number | boolean> | null;
  vendor: string | null;
  product: string | null;
  firmwareVersion: string | null;
  linkConnected: boolean;
  interfaceSpeed: number;
  linkSpeed: number;
  numaNode: number;
  sriovMaxVf: number;
  /**
   * Physical NICs found by commissioning keep the VLAN it found them on (`restore_networking_configuration` puts
   * it back); interfaces made through the API have none and are dropped by that restore.
   */
  discoveredVlanId?: number | null;
  /** A bridge made on an Allocated machine: removed on release. */
  acquired?: boolean;
}

export interface SimFilesystem {
  fstype: string;
  label: string | null;
  /** Every filesystem has one, group members too (`Filesystem.save` sets a uuid4). */
  uuid: string;
  mountPoint: string | null;
  mountOptions: string | null;
  /** Member of a volume group, a RAID (active or spare), a bcache (backing) or a VMFS datastore. */
  groupId?: number;
  /** The cache device of a bcache cache set. */
  cacheSetId?: number;
}

/** What a block device or a partition carries: a filesystem, and one made on the machine while it is allocated. */
export interface SimFormattable {
  filesystem: SimFilesystem | null;
  /** Made by the owner of an Allocated machine (`acquired=True`); it wins while present and goes on release. */
  acquired?: SimFilesystem | null;
  tags: string[];
}

export interface SimPartition extends SimFormattable {
  id: number;
  /** The partition number in its table (`-part<index>`); set by MAAS's numbering rules. */
  index: number;
  uuid: string | null;
  size: number;
  bootable: boolean;
  /** One of the fixed partitions of a VMware ESXi layout, which MAAS will not delete. */
  vmfsBase?: boolean;
}

export interface SimBlockDevice extends SimFormattable {
  id: number;
  /** For a logical volume the bare LV name; MAAS shows `<vg>-<lv>`. */
  name: string;
  type: 'physical' | 'virtual';
  model: string;
  serial: string;
  idPath: string;
  size: number;
  blockSize: number;
  tags: string[];
  uuid: string | null;
  firmwareVersion: string;
  numaNode: number;
  /** null: no partition table. */
  partitionTableType: 'GPT' | 'MBR' | null;
  partitions: SimPartition[];
  /** A virtual device: the volume group, RAID or bcache it belongs to. */
  groupId?: number;
}

/** Filesystem group types (MAAS `FILESYSTEM_GROUP_TYPE`). */
export type SimGroupType =
  | 'lvm-vg'
  | 'raid-0'
  | 'raid-1'
  | 'raid-5'
  | 'raid-6'
  | 'raid-10'
  | 'bcache'
  | 'vmfs6';

/** A volume group, RAID, bcache or VMFS datastore (MAAS `FilesystemGroup`). */
export interface SimFsGroup {
  id: number;
  uuid: string;
  name: string;
  type: SimGroupType;
  /** bcache only. */
  cacheMode: string | null;
  cacheSetId: number | null;
}

/** A bcache cache set; its name is `cache<N>` by position on the node. */
export interface SimCacheSet {
  id: number;
}

export interface SimEvent {
  id: number;
  level: EventLevel;
  type: string;
  description: string;
  created: number;
  username: string | null;
}

/**
 * Script-result statuses (`SCRIPT_STATUS`, MAAS `maascommon/enums/scriptresult.py`); NONE (-1) is a node that has no
 * results yet.
 */
export const ScriptStatus = {
  NONE: -1,
  PENDING: 0,
  RUNNING: 1,
  PASSED: 2,
  FAILED: 3,
  TIMEDOUT: 4,
  ABORTED: 5,
  DEGRADED: 6,
  INSTALLING: 7,
  FAILED_INSTALLING: 8,
  SKIPPED: 9,
  APPLYING_NETCONF: 10,
  FAILED_APPLYING_NETCONF: 11,
} as const;
export type ScriptStatus = (typeof ScriptStatus)[keyof typeof ScriptStatus];

export interface SimScriptStatuses {
  commissioning: ScriptStatus;
  testing: ScriptStatus;
  cpu: ScriptStatus;
  memory: ScriptStatus;
  network: ScriptStatus;
  storage: ScriptStatus;
  other: ScriptStatus;
  interface: ScriptStatus;
  commissioningResultId: number | null;
  testingResultId: number | null;
  installationResultId: number | null;
}

/** Hardware a freshly enlisted machine has but MAAS has not discovered yet (revealed by commissioning). */
export interface LatentHardware {
  cpuCount: number;
  cpuSpeed: number;
  memory: number;
  disks: SimBlockDevice[];
  hardwareInfo: Record<string, string>;
}

/** Machines, devices and controllers share one record; fields a kind does not use keep neutral values. */
export interface SimNode {
  systemId: string;
  kind: NodeKind;
  hostname: string;
  description: string;
  hardwareUuid: string | null;
  domainId: number;
  zoneId: number;
  poolId: number;
  owner: string | null;
  ownerData: Record<string, string>;
  parent: string | null;
  tags: string[];
  locked: boolean;
  status: Status;
  previousStatus: Status;
  /** Status to return to when leaving rescue mode / testing (§5.4). */
  rescueReturnStatus: Status | null;
  testReturnStatus: Status | null;
  errorDescription: string;
  architecture: string;
  minHweKernel: string;
  hweKernel: string | null;
  cpuCount: number;
  cpuSpeed: number;
  memory: number;
  swapSize: number | null;
  hardwareInfo: Record<string, string>;
  biosBootMethod: string | null;
  osystem: string;
  distroSeries: string;
  ephemeralDeploy: boolean;
  netboot: boolean;
  enableHwSync: boolean;
  enableKernelCrashDump: boolean;
  powerType: string;
  powerParameters: Record<string, string>;
  powerState: PowerState;
  agentName: string;
  /** Stored as given (base64), never rendered. */
  userData: string | null;
  interfaces: SimInterface[];
  bootInterfaceId: number | null;
  /** `gateway_link_ipv4` / `gateway_link_ipv6`: the links `set_default_gateway` chose (null: MAAS picks). */
  gatewayLinkIpv4: number | null;
  gatewayLinkIpv6: number | null;
  blockDevices: SimBlockDevice[];
  bootDiskId: number | null;
  /** Volume groups, RAIDs, bcaches and VMFS datastores, in id order. */
  groups: SimFsGroup[];
  cacheSets: SimCacheSet[];
  specialFilesystems: SimFilesystem[];
  scripts: SimScriptStatuses;
  latent: LatentHardware | null;
  events: SimEvent[];
  /** Controllers only. */
  version: string;
  services: { name: string; status: string; status_info: string }[];
}

export const MAX_EVENTS_PER_NODE = 50;

/**
 * All simulator state. Node maps iterate in creation (= id) order, which is MAAS's list order. Every map joins the
 * request's transaction (tx.ts), so a refused request leaves it as it was.
 */
export class SimState {
  readonly users = new TxMap<string, SimUserRecord>('small');
  readonly zones = new TxMap<number, SimZone>('small');
  readonly pools = new TxMap<number, SimPool>('small');
  readonly tags = new TxMap<string, SimTag>('small');
  readonly domains = new TxMap<number, SimDomain>('small');
  readonly fabrics = new TxMap<number, SimFabric>('small');
  readonly spaces = new TxMap<number, SimSpace>('small');
  readonly vlans = new TxMap<number, SimVlan>('small');
  readonly subnets = new TxMap<number, SimSubnet>('small');
  readonly ipRanges = new TxMap<number, SimIpRange>('small');
  readonly dnsResources = new TxMap<number, SimDnsResource>('small');
  readonly dnsRecords = new TxMap<number, SimDnsRecord>('small');
  /** USER_RESERVED addresses (DNS resources' own addresses). */
  readonly reservedIps = new TxMap<string, SimReservedIp>('small');
  readonly nodes = new TxMap<string, SimNode>('records');
  /** IP address → system_id holding it. */
  readonly ips = new TxMap<string, string>('values');
  /** Lower-case MAC → system_id. */
  readonly macs = new TxMap<string, string>('values');
  private readonly counters = new Map<string, number>();
  /** Each node's database id (MAAS keys `verbose_storage` / `verbose_interfaces` by it). */
  private readonly dbIds = new Map<string, number>();
  /** Runtime randomness (ids, uuids) — seeded, so a scripted session is reproducible. */
  readonly rng: Rng;

  constructor(
    readonly seed: number,
    readonly fieldSet: '3.7' | '2.9',
  ) {
    this.rng = new Rng(seed ^ 0x5eed);
  }

  /** Next id of a sequence, starting at `start`. */
  nextId(sequence: string, start = 1): number {
    const n = this.counters.get(sequence) ?? start;
    this.counters.set(sequence, n + 1);
    return n;
  }

  /** A machine by system_id (undefined for devices and controllers). */
  machine(systemId: string): SimNode | undefined {
    const n = this.nodes.get(systemId);
    return n?.kind === 'machine' ? n : undefined;
  }

  /** A machine by hostname (test convenience). */
  machineByHostname(hostname: string): SimNode | undefined {
    for (const n of this.nodes.values()) if (n.kind === 'machine' && n.hostname === hostname) return n;
    return undefined;
  }

  *machines(): Iterable<SimNode> {
    for (const n of this.nodes.values()) if (n.kind === 'machine') yield n;
  }

  zoneByName(name: string): SimZone | undefined {
    for (const z of this.zones.values()) if (z.name === name) return z;
    return undefined;
  }

  poolByName(name: string): SimPool | undefined {
    for (const p of this.pools.values()) if (p.name === name) return p;
    return undefined;
  }

  /** A subnet by id, CIDR or name (`cidr:` / `name:` prefixes allowed); a bare number is tried as an id first. */
  subnetBySpec(spec: string): SimSubnet | undefined {
    if (/^\d+$/.test(spec)) {
      const s = this.subnets.get(Number(spec));
      if (s) return s;
    }
    const bare = spec.replace(/^(cidr|name):/, '');
    for (const s of this.subnets.values()) if (s.cidr === bare || s.name === bare) return s;
    return undefined;
  }

  /** `Space.get_name()`: the name, or `space-<id>` for an unnamed space. */
  spaceName(space: SimSpace): string {
    return space.name ?? `space-${space.id}`;
  }

  /** The name MAAS shows for a VLAN's space: `undefined` when it has none. */
  vlanSpaceName(vlanId: number | null): string {
    const vlan = vlanId === null ? undefined : this.vlans.get(vlanId);
    const space = vlan?.spaceId == null ? undefined : this.spaces.get(vlan.spaceId);
    return space ? this.spaceName(space) : 'undefined';
  }

  /** A space by id or by (shown) name. */
  spaceBySpec(spec: string): SimSpace | undefined {
    if (/^\d+$/.test(spec)) return this.spaces.get(Number(spec));
    for (const s of this.spaces.values()) if (this.spaceName(s) === spec) return s;
    return undefined;
  }

  defaultDomain(): SimDomain {
    for (const d of this.domains.values()) if (d.isDefault) return d;
    throw new Error('no default domain');
  }

  domainByName(name: string): SimDomain | undefined {
    for (const d of this.domains.values()) if (d.name === name) return d;
    return undefined;
  }

  private domainCounts: Map<number, number> | null = null;

  /** Nodes per domain (`resource_record_count`); cached because every machine render asks. */
  domainNodeCount(domainId: number): number {
    if (!this.domainCounts) {
      const counts = new Map<number, number>();
      for (const n of this.nodes.values()) {
        if (n.kind !== 'device') counts.set(n.domainId, (counts.get(n.domainId) ?? 0) + 1);
      }
      this.domainCounts = counts;
    }
    return this.domainCounts.get(domainId) ?? 0;
  }

  /** Call after adding, removing or re-domaining nodes. */
  touchDomains(): void {
    this.domainCounts = null;
    // A rolled-back request must not leave counts computed from its changes behind.
    saveOnce(this, 'domainCounts', () => () => {
      this.domainCounts = null;
    });
  }

  newSystemId(): string {
    for (;;) {
      const sid = this.rng.string(6, SYSTEM_ID_ALPHABET);
      if (!this.nodes.has(sid)) return sid;
    }
  }

  /** A node's database id, given in creation order. */
  dbId(node: SimNode): number {
    let id = this.dbIds.get(node.systemId);
    if (id === undefined) {
      id = this.nextId('node');
      this.dbIds.set(node.systemId, id);
    }
    return id;
  }

  /** Registers a node with its physical MACs and the addresses its links hold. */
  addNode(node: SimNode): void {
    this.nodes.set(node.systemId, node);
    this.dbId(node);
    this.touchDomains();
    for (const i of node.interfaces) {
      if (i.type === 'physical') this.macs.set(i.mac.toLowerCase(), node.systemId);
      for (const l of i.links) if (l.ip) this.ips.set(l.ip, node.systemId);
    }
  }

  removeNode(node: SimNode): void {
    this.nodes.delete(node.systemId);
    this.touchDomains();
    for (const i of node.interfaces) {
      if (this.macs.get(i.mac.toLowerCase()) === node.systemId) this.macs.delete(i.mac.toLowerCase());
      for (const l of i.links) if (l.ip && this.ips.get(l.ip) === node.systemId) this.ips.delete(l.ip);
    }
  }
}
