/**
 * The deterministic fleet. The first 24 machines are curated (their hostnames and states are relied on by tests
 * and docs); the rest are generated (`node-00025`, …) in a realistic mix. Same seed and size → same fleet.
 */

import { claimAutoIps } from './addressing.ts';
import {
  hardwareInfo,
  latentHardware,
  makeDisks,
  makeNic,
  unknownHardwareInfo,
  type VendorProfile,
} from './hardware.ts';
import { SERIES } from './images.ts';
import { applyLayout, type StorageLayoutName } from './layouts.ts';
import { type EventLevel, ScriptStatus, type SimNode, type SimState } from './model.ts';
import { Rng } from './random.ts';
import { CURATED, type Power, type Spec } from './seed-curated.ts';
import {
  blankNode,
  SUBNET,
  seedControllers,
  seedDevices,
  seedDns,
  seedNetwork,
  seedPlacement,
  seedUsers,
  VLAN,
} from './seed-inventory.ts';
import { S, type Status } from './status.ts';
import { newFilesystem } from './storage-model.ts';

const GENERATED_STATUS: [Status, number][] = [
  [S.READY, 30],
  [S.DEPLOYED, 38],
  [S.ALLOCATED, 6],
  [S.NEW, 3],
  [S.BROKEN, 2],
  [S.FAILED_DEPLOYMENT, 2],
  [S.FAILED_COMMISSIONING, 1],
  [S.FAILED_TESTING, 1],
  [S.COMMISSIONING, 1],
  [S.DEPLOYING, 2],
  [S.TESTING, 1],
  [S.RELEASING, 1],
  [S.DISK_ERASING, 1],
  [S.RESCUE_MODE, 1],
];

const OWNED: ReadonlySet<Status> = new Set([
  S.DEPLOYED,
  S.ALLOCATED,
  S.DEPLOYING,
  S.FAILED_DEPLOYMENT,
  S.COMMISSIONING,
  S.TESTING,
  S.RELEASING,
  S.DISK_ERASING,
  S.RESCUE_MODE,
]);

function generatedSpec(rng: Rng, index: number): Spec {
  const status = rng.weighted(GENERATED_STATUS);
  const cpu = rng.pick([2, 4, 8, 16, 24, 32, 48, 64]);
  const virtualBox = rng.chance(0.1);
  const power: Power = virtualBox
    ? 'virsh'
    : rng.weighted([
        ['ipmi', 78],
        ['redfish', 17],
        ['manual', 5],
      ] as const);
  const tagPool = ['compute', 'ssd', 'storage', 'k8s', 'edge', 'nvme'];
  const tags = tagPool.filter(() => rng.chance(0.18));
  if (virtualBox) tags.push('virtual');
  return {
    hostname: `node-${String(index).padStart(5, '0')}`,
    status,
    owner: OWNED.has(status)
      ? rng.weighted([
          ['admin', 60],
          ['alice', 20],
          ['bob', 20],
        ] as const)
      : undefined,
    zone: rng.pick(['default', 'zone-a', 'zone-b']),
    pool: rng.pick(['default', 'production', 'staging']),
    tags,
    arch: rng.chance(0.05) ? 'arm64/generic' : undefined,
    cpu: status === S.NEW ? 0 : cpu,
    memGiB: status === S.NEW ? 0 : cpu * rng.pick([2, 4, 8]),
    power,
    nics: rng.int(2, 4),
    disks: status === S.NEW ? 0 : rng.int(1, 3),
    disk: virtualBox ? 'virtio' : rng.pick(['ssd', 'ssd', 'nvme', 'hdd'] as const),
    series: rng.pick(['jammy', 'jammy', 'noble', 'focal']),
    error: status === S.BROKEN ? 'Memory errors reported by the BMC (DIMM B2).' : undefined,
  };
}

function powerParameters(rng: Rng, power: Power, hostname: string, index: number): Record<string, string> {
  const bmc = `10.30.${Math.floor(index / 250)}.${(index % 250) + 4}`;
  switch (power) {
    case 'ipmi':
      return {
        power_address: bmc,
        power_user: 'maas',
        power_pass: rng.alnum(20),
        power_driver: 'LAN_2_0',
        power_boot_type: 'efi',
        cipher_suite_id: '3',
        privilege_level: 'ADMIN',
        mac_address: '',
      };
    case 'redfish':
      return {
        power_address: `https://${bmc}`,
        power_user: 'root',
        power_pass: rng.alnum(20),
        node_id: 'System.Embedded.1',
      };
    case 'virsh':
      return {
        power_address: 'qemu+ssh://virsh@10.10.0.5/system',
        power_id: hostname,
        power_pass: rng.alnum(16),
      };
    case 'manual':
      return {};
  }
}

function profileFor(spec: Spec, rng: Rng): VendorProfile {
  if (spec.power === 'virsh') return 'qemu';
  if (spec.arch?.startsWith('arm64')) return 'ampere';
  return rng.pick(['dell', 'supermicro', 'hpe'] as const);
}

function buildMachine(state: SimState, rng: Rng, spec: Spec, index: number, curated: boolean): SimNode {
  const n = blankNode(state.newSystemId(), spec.hostname, 'machine');
  const zone = state.zoneByName(spec.zone);
  const pool = state.poolByName(spec.pool);
  n.zoneId = zone?.id ?? 1;
  n.poolId = pool?.id ?? 0;
  n.description = spec.description ?? '';
  n.tags = [...spec.tags];
  n.architecture = spec.arch ?? 'amd64/generic';
  n.powerType = spec.power;
  n.powerParameters = powerParameters(rng, spec.power, spec.hostname, index);
  const virtual = spec.power === 'virsh';
  // Most of the fleet boots UEFI; some older generated machines boot BIOS (PXE), which changes their partitions.
  n.biosBootMethod = !curated && !virtual && !spec.arch && rng.chance(0.15) ? 'pxe' : (spec.boot ?? 'uefi');
  const profile = profileFor(spec, rng);
  // NICs: eno1 boots from the untagged VLAN; eno2 is on the storage VLAN (curated) or out-of-band; a machine with four
  // has its last two on the data VLAN, and one with three its last two out-of-band: a pair ready to bond.
  for (let i = 0; i < spec.nics; i++) {
    n.interfaces.push(
      makeNic(state, rng, virtual ? `ens${3 + i}` : `eno${i + 1}`, nicVlan(spec, i, curated), virtual),
    );
  }
  const boot = n.interfaces[0];
  n.bootInterfaceId = boot?.id ?? null;
  const neverCommissioned = spec.status === S.NEW;
  if (neverCommissioned) {
    n.latent = latentHardware(state, rng);
    n.hardwareInfo = unknownHardwareInfo();
  } else {
    n.hardwareUuid = rng.uuid();
    n.cpuCount = spec.cpu;
    n.cpuSpeed = virtual ? 2000 : rng.pick([2000, 2100, 2400, 2800, 3000]);
    n.memory = spec.memGiB * 1024;
    n.hardwareInfo = hardwareInfo(rng, profile);
    n.blockDevices = makeDisks(state, rng, spec.disks, spec.disk ?? (virtual ? 'virtio' : 'ssd'));
    n.bootDiskId = n.blockDevices[0]?.id ?? null;
    n.swapSize = null;
    applyLayout(state, n, spec.layout ?? (curated ? 'flat' : generatedLayout(rng, spec.status)));
    if (spec.hostname === 'db-01') databaseDisks(state, n);
    linkInterfaces(state, n, curated, index);
    seedScripts(state, n, spec.status);
  }
  n.status = spec.status;
  n.previousStatus = previousFor(spec.status);
  n.owner = spec.owner ?? null;
  n.locked = spec.locked ?? false;
  n.errorDescription = spec.error ?? '';
  const deployedish: Status[] = [S.DEPLOYED, S.DEPLOYING, S.FAILED_DEPLOYMENT, S.RESCUE_MODE];
  if (deployedish.includes(spec.status)) {
    n.osystem = 'ubuntu';
    n.distroSeries = spec.series ?? 'jammy';
    n.hweKernel = `ga-${SERIES_VERSION.get(n.distroSeries) ?? '22.04'}`;
    n.netboot = spec.status !== S.DEPLOYED;
    n.agentName = spec.owner === 'bob' ? 'k8s-autoscaler' : '';
  }
  if (spec.status === S.RESCUE_MODE) n.rescueReturnStatus = S.DEPLOYED;
  if (spec.status === S.TESTING) n.testReturnStatus = S.READY;
  n.powerState = spec.power === 'manual' ? 'unknown' : POWERED_ON.has(spec.status) ? 'on' : 'off';
  state.addNode(n);
  if (deployedish.includes(spec.status) || spec.status === S.RELEASING) claimAutoIps(state, n);
  return n;
}

const SERIES_VERSION: ReadonlyMap<string, string> = new Map(SERIES);

function nicVlan(spec: Spec, i: number, curated: boolean): number {
  if (i === 0) return VLAN.untagged;
  if (spec.nics >= 4 && i >= 2) return VLAN.data;
  return i === 1 && curated ? VLAN.storage : VLAN.oob;
}

/** What a generated machine's disks look like: mostly MAAS's default flat layout, some LVM, some blank Ready ones. */
function generatedLayout(rng: Rng, status: Status): StorageLayoutName {
  const r = rng.next();
  if (status === S.READY && r < 0.1) return 'blank';
  return r < 0.3 ? 'lvm' : 'flat';
}

/** db-01's data disks: XFS for PostgreSQL on sdb, ext4 for backups on sdc. */
function databaseDisks(state: SimState, n: SimNode): void {
  const [, data, backup] = n.blockDevices;
  if (data)
    data.filesystem = newFilesystem(state, 'xfs', { label: 'pgdata', mountPoint: '/var/lib/postgresql' });
  if (backup)
    backup.filesystem = newFilesystem(state, 'ext4', { label: 'backup', mountPoint: '/srv/backup' });
}

const POWERED_ON: ReadonlySet<Status> = new Set([
  S.DEPLOYED,
  S.DEPLOYING,
  S.FAILED_DEPLOYMENT,
  S.RESCUE_MODE,
  S.COMMISSIONING,
  S.TESTING,
  S.RELEASING,
  S.DISK_ERASING,
]);

function previousFor(status: Status): Status {
  switch (status) {
    case S.DEPLOYED:
    case S.FAILED_DEPLOYMENT:
      return S.DEPLOYING;
    case S.DEPLOYING:
      return S.ALLOCATED;
    case S.ALLOCATED:
    case S.COMMISSIONING:
      return S.READY;
    case S.RESCUE_MODE:
      return S.ENTERING_RESCUE_MODE;
    case S.FAILED_COMMISSIONING:
      return S.COMMISSIONING;
    case S.FAILED_TESTING:
    case S.READY:
      return S.TESTING;
    case S.RELEASING:
    case S.DISK_ERASING:
      return S.DEPLOYED;
    default:
      return S.READY;
  }
}

function linkInterfaces(state: SimState, n: SimNode, curated: boolean, index: number): void {
  const [eth0, eth1] = n.interfaces;
  if (eth0) {
    eth0.links.push({
      id: state.nextId('link'),
      mode: 'auto',
      subnetId: curated ? SUBNET.main : SUBNET.fleet,
      ip: null,
    });
    if (curated && index % 2 === 0)
      eth0.links.push({ id: state.nextId('link'), mode: 'auto', subnetId: SUBNET.v6, ip: null });
  }
  if (eth1 && curated) {
    // Recorded as taken by `addNode`.
    const ip = `10.20.0.${100 + index}`;
    eth1.links.push({ id: state.nextId('link'), mode: 'static', subnetId: SUBNET.storage, ip });
  }
  // Commissioning brings every other connected interface up without an address (LINK_UP).
  for (const i of n.interfaces) {
    if (i.links.length === 0 && i.vlanId !== null)
      i.links.push({ id: state.nextId('link'), mode: 'link_up', subnetId: null, ip: null });
  }
}

function seedScripts(state: SimState, n: SimNode, status: Status): void {
  const { NONE, RUNNING, PASSED, FAILED } = ScriptStatus;
  const s = n.scripts;
  s.commissioning =
    status === S.FAILED_COMMISSIONING ? FAILED : status === S.COMMISSIONING ? RUNNING : PASSED;
  s.commissioningResultId = state.nextId('result', 100);
  const tested = status !== S.FAILED_COMMISSIONING && status !== S.COMMISSIONING;
  s.testing = status === S.FAILED_TESTING ? FAILED : status === S.TESTING ? RUNNING : tested ? PASSED : NONE;
  s.testingResultId = tested ? state.nextId('result', 100) : null;
  for (const k of ['cpu', 'memory', 'network', 'interface', 'other'] as const) s[k] = tested ? PASSED : NONE;
  s.storage = status === S.FAILED_TESTING ? FAILED : tested ? PASSED : NONE;
  if (status === S.DEPLOYED) s.installationResultId = state.nextId('result', 100);
}

/** A plausible history, so `status_message` and `/events/` have something to show. */
function seedEvents(state: SimState, n: SimNode, now: number): void {
  const add = (
    minutesAgo: number,
    type: string,
    description = '',
    level: EventLevel = 'INFO',
    user: string | null = null,
  ) =>
    n.events.push({
      id: state.nextId('event'),
      level,
      type,
      description,
      created: now - minutesAgo * 60_000,
      username: user,
    });
  const owner = n.owner ?? 'admin';
  switch (n.status) {
    case S.READY:
      add(4320, 'Commissioning');
      add(4310, 'Ready');
      break;
    case S.ALLOCATED:
      add(4310, 'Ready');
      add(90, 'User acquiring node', '', 'DEBUG', owner);
      break;
    case S.DEPLOYED:
    case S.RESCUE_MODE:
      add(2900, 'User starting deployment', '', 'DEBUG', owner);
      add(2900, 'Deploying');
      add(2898, 'Installing OS');
      add(2892, 'Deployed');
      if (n.status === S.RESCUE_MODE) {
        add(30, 'Entering rescue mode');
        add(27, 'Rescue mode');
      }
      break;
    case S.FAILED_DEPLOYMENT:
      add(200, 'Deploying');
      add(198, 'Installing OS');
      add(190, 'Failed deployment', n.errorDescription, 'ERROR');
      break;
    case S.BROKEN:
      add(4310, 'Ready');
      add(600, 'User marking node broken', n.errorDescription, 'DEBUG', 'admin');
      break;
    case S.FAILED_COMMISSIONING:
      add(300, 'Commissioning');
      add(295, 'Failed commissioning', n.errorDescription, 'ERROR');
      break;
    case S.FAILED_TESTING:
      add(300, 'Testing');
      add(296, 'Failed testing', n.errorDescription, 'ERROR');
      break;
    case S.COMMISSIONING:
      add(1, 'Commissioning');
      add(0, 'Performing PXE boot');
      break;
    case S.DEPLOYING:
      add(3, 'Deploying');
      add(2, 'Performing PXE boot');
      add(1, 'Loading ephemeral');
      add(0, 'Installing OS');
      break;
    case S.TESTING:
      add(1, 'Testing');
      break;
    case S.RELEASING:
      add(0, 'Releasing');
      break;
    case S.DISK_ERASING:
      add(1, 'Erasing disk');
      add(0, 'Performing PXE boot');
      break;
  }
}

export interface SeedOptions {
  machines: number;
  seed: number;
  now: number;
}

/** Builds the whole seeded MAAS into `state`. */
export function seedState(state: SimState, opts: SeedOptions): void {
  const rng = new Rng(opts.seed);
  seedUsers(state, rng);
  seedPlacement(state);
  // Controllers first: the primary rack's system_id goes on the DHCP VLAN.
  const rack = seedControllers(state, rng);
  seedNetwork(state, rack);
  seedDevices(state, rng);
  seedDns(state);
  const count = Math.max(0, Math.floor(opts.machines));
  for (let i = 0; i < count; i++) {
    const curated = i < CURATED.length;
    const spec = curated ? (CURATED[i] as Spec) : generatedSpec(rng, i + 1);
    const n = buildMachine(state, rng, spec, i, curated);
    seedEvents(state, n, opts.now);
  }
}
