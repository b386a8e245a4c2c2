/**
 * The storage rules MAAS 3.7.3 applies to block devices, partitions and filesystem groups (MAAS
 * `maasserver/models/partitiontable.py`, `partition.py`, `blockdevice.py`, `filesystemgroup.py`, `cacheset.py`,
 * `maasserver/utils/storage.py`): alignment and overheads, partition numbering, group sizes, names, `used_for`, and
 * the lookups by id or name the API accepts.
 */
import { fieldErrors, SimHttpError } from './http.ts';
import type {
  SimBlockDevice,
  SimCacheSet,
  SimFilesystem,
  SimFormattable,
  SimFsGroup,
  SimNode,
  SimPartition,
  SimState,
} from './model.ts';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** `PARTITION_ALIGNMENT_SIZE`, `MIN_PARTITION_SIZE`, `MIN_BLOCK_DEVICE_SIZE`, `LVM_PE_SIZE`: all 4 MiB. */
export const ALIGNMENT = 4 * MiB;
export const MIN_PARTITION_SIZE = ALIGNMENT;
export const MIN_BLOCK_DEVICE_SIZE = ALIGNMENT;
export const LVM_PE_SIZE = ALIGNMENT;
/** `RAID_SUPERBLOCK_OVERHEAD`. */
export const RAID_SUPERBLOCK_OVERHEAD = 128 * KiB;
/** `storage_layouts.py`. */
export const EFI_PARTITION_SIZE = 512 * MiB;
export const MIN_BOOT_PARTITION_SIZE = 512 * MiB;
export const MIN_ROOT_PARTITION_SIZE = 3 * GiB;
/** `MAX_PARTITION_SIZE_FOR_MBR` rounded down to the alignment (`get_max_mbr_partition_size`). */
export const MAX_MBR_PARTITION_SIZE = alignDown((2 ** 32 - 1) * 512 - MiB);

export function alignDown(size: number, to = ALIGNMENT): number {
  return Math.floor(size / to) * to;
}

/**
 * `PartitionTable.get_overhead_size`: 4 MiB at the start and 1 MiB at the end, plus 8 MiB (PReP) on ppc64el or
 * 1 MiB (bios_grub) on amd64 booting other than UEFI. Every disk of the node pays it.
 */
export function tableOverhead(node: SimNode): number {
  const arch = node.architecture.split('/')[0];
  let extra = 5 * MiB;
  if (arch === 'ppc64el') extra += 8 * MiB;
  else if (arch === 'amd64' && node.biosBootMethod !== 'uefi') extra += MiB;
  return extra;
}

/** `get_effective_filesystem`: the acquired one while the machine holds it, else the configured one. */
export function effectiveFs(x: SimFormattable): SimFilesystem | null {
  return x.acquired ?? x.filesystem;
}

export const hasTable = (dev: SimBlockDevice) => dev.partitionTableType !== null;

/** `BlockDevice.get_used_size`. */
export function deviceUsedSize(node: SimNode, dev: SimBlockDevice): number {
  if (effectiveFs(dev)) return dev.size;
  if (!hasTable(dev)) return 0;
  return dev.partitions.reduce((sum, p) => sum + p.size, 0) + tableOverhead(node);
}

/**
 * `BlockDevice.get_available_size`: nothing on a formatted device; otherwise what a partition table (real or not yet
 * made) leaves, rounded down to the alignment.
 */
export function deviceAvailableSize(node: SimNode, dev: SimBlockDevice, ignore?: SimPartition): number {
  if (effectiveFs(dev)) return 0;
  const used = dev.partitions.reduce((sum, p) => (p === ignore ? sum : sum + p.size), 0);
  return Math.max(0, alignDown(dev.size - used - tableOverhead(node)));
}

export const physicalDevices = (node: SimNode) => node.blockDevices.filter((d) => d.type === 'physical');

/**
 * `Node.get_boot_disk`: the one set with `set_boot_disk`, else the lowest-id physical device of at least 512 MiB
 * (physical devices are kept in id order).
 */
export function bootDisk(node: SimNode): SimBlockDevice | undefined {
  const physical = physicalDevices(node);
  return (
    physical.find((d) => d.id === node.bootDiskId) ?? physical.find((d) => d.size >= MIN_BOOT_PARTITION_SIZE)
  );
}

/** `Partition._get_partition_number`. */
export function nextPartitionIndex(node: SimNode, dev: SimBlockDevice): number {
  const max = dev.partitions.reduce((m, p) => Math.max(m, p.index), 0);
  let index = max + 1;
  if (index === 4 && dev.partitionTableType === 'MBR') return 5;
  if (index === 1 && dev.partitionTableType === 'GPT') {
    const arch = node.architecture.split('/')[0];
    const prep = arch === 'ppc64el' && dev.id === bootDisk(node)?.id;
    const biosGrub = arch === 'amd64' && node.biosBootMethod !== 'uefi' && dev.type === 'physical';
    if (prep || biosGrub) index = 2;
  }
  return index;
}

/** Later partitions move down one number when one is deleted (`PartitionTable.delete_partition`). */
export function removePartition(dev: SimBlockDevice, part: SimPartition): void {
  dev.partitions = dev.partitions.filter((p) => p !== part);
  for (const p of dev.partitions) {
    if (p.index <= part.index) continue;
    p.index -= 1;
    if (p.index === 4 && dev.partitionTableType === 'MBR') p.index = 3;
  }
}

/**
 * `PartitionTable.add_partition` + `Partition.clean`: creates the table (GPT) if there is none, rounds the size down
 * to 4 MiB (all the free space when omitted, capped on MBR), and refuses a partition that does not fit (a size one
 * block too big is shrunk by that block) with MAAS's field errors.
 */
export function addPartition(
  state: SimState,
  node: SimNode,
  dev: SimBlockDevice,
  size: number | null,
  opts: { bootable?: boolean; uuid?: string | null; index?: number } = {},
): SimPartition {
  if (!hasTable(dev)) dev.partitionTableType = 'GPT';
  const available = deviceAvailableSize(node, dev);
  let wanted =
    size ?? (dev.partitionTableType === 'MBR' ? Math.min(available, MAX_MBR_PARTITION_SIZE) : available);
  wanted = alignDown(wanted);
  if (available < wanted) {
    const adjusted = wanted - dev.blockSize;
    if (available < adjusted) {
      throw fieldErrors({ size: ['Partition cannot be saved; not enough free space on the block device.'] });
    }
    wanted = adjusted;
  }
  if (dev.partitionTableType === 'MBR' && wanted > MAX_MBR_PARTITION_SIZE) {
    throw fieldErrors({ size: ['Partition cannot be saved; size is larger than the MBR 2TiB maximum.'] });
  }
  if (wanted < MIN_PARTITION_SIZE) {
    throw fieldErrors({ size: [`Ensure this value is greater than or equal to ${MIN_PARTITION_SIZE}.`] });
  }
  const part: SimPartition = {
    id: state.nextId('partition'),
    index: opts.index ?? nextPartitionIndex(node, dev),
    uuid: opts.uuid === undefined ? state.rng.uuid() : opts.uuid,
    size: wanted,
    bootable: opts.bootable ?? false,
    filesystem: null,
    tags: [],
  };
  dev.partitions.push(part);
  return part;
}

/** A filesystem record (with a fresh UUID unless one is given); group members carry no label or mount. */
export function newFilesystem(
  state: SimState,
  fstype: string,
  opts: Partial<Omit<SimFilesystem, 'fstype'>> = {},
): SimFilesystem {
  return {
    fstype,
    label: opts.label ?? null,
    uuid: opts.uuid ?? state.rng.uuid(),
    mountPoint: opts.mountPoint ?? null,
    mountOptions: opts.mountOptions ?? null,
    ...(opts.groupId !== undefined ? { groupId: opts.groupId } : {}),
    ...(opts.cacheSetId !== undefined ? { cacheSetId: opts.cacheSetId } : {}),
  };
}

// ---------------------------------------------------------------- groups

export const isRaid = (g: SimFsGroup) => g.type.startsWith('raid-');

export function groupById(node: SimNode, id: number): SimFsGroup | undefined {
  return node.groups.find((g) => g.id === id);
}

/** `get_nice_name`, used in refusals ("… part of a volume group"). */
export function niceGroupName(g: SimFsGroup): string {
  if (g.type === 'lvm-vg') return 'volume group';
  if (isRaid(g)) return 'RAID';
  if (g.type === 'bcache') return 'Bcache';
  return 'VMFS';
}

/** A member of a group or a cache device: a whole device or a partition of one. */
export interface StorageTarget {
  dev: SimBlockDevice;
  part: SimPartition | null;
}

export const targetOf = (t: StorageTarget): SimFormattable => t.part ?? t.dev;
export const targetSize = (t: StorageTarget) => (t.part ? t.part.size : t.dev.size);

/** Every device and partition of the node, devices first, in id order. */
export function allTargets(node: SimNode): StorageTarget[] {
  const out: StorageTarget[] = [];
  for (const dev of node.blockDevices) out.push({ dev, part: null });
  for (const dev of node.blockDevices) for (const part of dev.partitions) out.push({ dev, part });
  return out;
}

/** The members of a group with their filesystem (`raid-spare` marks a spare). */
export function groupMembers(node: SimNode, g: SimFsGroup): (StorageTarget & { fs: SimFilesystem })[] {
  const out: (StorageTarget & { fs: SimFilesystem })[] = [];
  for (const t of allTargets(node)) {
    const fs = effectiveFs(targetOf(t));
    if (fs?.groupId === g.id) out.push({ ...t, fs });
  }
  return out;
}

export function groupVirtualDevices(node: SimNode, g: SimFsGroup): SimBlockDevice[] {
  return node.blockDevices.filter((d) => d.type === 'virtual' && d.groupId === g.id);
}

/** `FilesystemGroup.get_lvm_size`: whole extents of the PVs, less one extent of metadata per PV. */
function lvmSize(members: StorageTarget[]): number {
  const total = members.reduce((sum, m) => sum + targetSize(m), 0);
  return Math.max(0, alignDown(total, LVM_PE_SIZE) - LVM_PE_SIZE * members.length);
}

/** `FilesystemGroup.get_raid_size` (raid-10 is a true division, so it can be fractional). */
export function raidSize(type: SimFsGroup['type'], active: number[], spares: number[]): number {
  const all = [...active, ...spares];
  if (all.length === 0) return 0;
  const min = Math.min(...all);
  const n = active.length;
  switch (type) {
    case 'raid-0':
      return active.reduce((s, x) => s + x, 0) - RAID_SUPERBLOCK_OVERHEAD * all.length;
    case 'raid-1':
      return min - RAID_SUPERBLOCK_OVERHEAD;
    case 'raid-5':
      return min * (n - 1) - RAID_SUPERBLOCK_OVERHEAD;
    case 'raid-6':
      return min * (n - 2) - RAID_SUPERBLOCK_OVERHEAD;
    case 'raid-10':
      return (min * n) / 2 - RAID_SUPERBLOCK_OVERHEAD;
    default:
      return 0;
  }
}

/** `FilesystemGroup.get_size`. */
export function groupSize(node: SimNode, g: SimFsGroup): number {
  const members = groupMembers(node, g);
  if (g.type === 'lvm-vg') return lvmSize(members);
  if (isRaid(g)) {
    const active = members.filter((m) => m.fs.fstype === 'raid').map(targetSize);
    const spares = members.filter((m) => m.fs.fstype === 'raid-spare').map(targetSize);
    return raidSize(g.type, active, spares);
  }
  if (g.type === 'bcache') {
    const backing = members.find((m) => m.fs.fstype === 'bcache-backing');
    return backing ? targetSize(backing) : 0;
  }
  return members.reduce((sum, m) => sum + targetSize(m), 0);
}

/** A VG's size less its logical volumes. */
export function vgAvailable(node: SimNode, g: SimFsGroup): number {
  const used = groupVirtualDevices(node, g).reduce((sum, lv) => sum + lv.size, 0);
  return Math.max(0, groupSize(node, g) - used);
}

/** A RAID's or bcache's one virtual device follows the group's size (the group is re-saved on every change). */
export function refreshGroupDevice(node: SimNode, g: SimFsGroup): void {
  if (g.type === 'lvm-vg') return;
  for (const d of groupVirtualDevices(node, g)) d.size = Math.floor(groupSize(node, g));
}

/** `BaseFilesystemGroupManager.get_available_name_for`: the first free `<prefix><n>`. */
export function nextGroupName(node: SimNode, prefix: string): string {
  const taken = new Set(node.groups.map((g) => g.name));
  for (let i = 0; ; i++) if (!taken.has(`${prefix}${i}`)) return `${prefix}${i}`;
}

/** `CacheSet.get_name`: `cache<position among the node's cache sets>`. */
export function cacheSetName(node: SimNode, cs: SimCacheSet): string {
  return `cache${node.cacheSets.indexOf(cs)}`;
}

export function cacheSetDevice(node: SimNode, cs: SimCacheSet): StorageTarget | undefined {
  return allTargets(node).find((t) => effectiveFs(targetOf(t))?.cacheSetId === cs.id);
}

/** A virtual device: a logical volume shows `<vg>-<lv>` (`VirtualBlockDevice.get_name`). */
export function deviceName(node: SimNode, dev: SimBlockDevice): string {
  if (dev.type !== 'virtual' || dev.groupId === undefined) return dev.name;
  const g = groupById(node, dev.groupId);
  return g?.type === 'lvm-vg' ? `${g.name}-${dev.name}` : dev.name;
}

export function isLogicalVolume(node: SimNode, dev: SimBlockDevice): boolean {
  return dev.groupId !== undefined && groupById(node, dev.groupId)?.type === 'lvm-vg';
}

export function partitionName(node: SimNode, dev: SimBlockDevice, part: SimPartition): string {
  return `${deviceName(node, dev)}-part${part.index}`;
}

// ---------------------------------------------------------------- lookups (id or name)

/** A block device by id or by name (`get_block_device_or_404`). */
export function findDevice(node: SimNode, spec: string): SimBlockDevice | undefined {
  if (/^-?\d+$/.test(spec.trim())) return node.blockDevices.find((d) => d.id === Number(spec));
  return node.blockDevices.find((d) => d.name === spec || deviceName(node, d) === spec);
}

/** A partition by id or `<device>-part<index>` (`get_partition_by_id_or_name`). */
export function findPartition(node: SimNode, spec: string): StorageTarget | undefined {
  const byId = /^-?\d+$/.test(spec.trim());
  for (const dev of node.blockDevices) {
    for (const part of dev.partitions) {
      if (byId ? part.id === Number(spec) : spec === `${dev.name}-part${part.index}`) return { dev, part };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- what a device is used for

function fsUsedFor(node: SimNode, fs: SimFilesystem): string {
  if (fs.groupId !== undefined) {
    const g = groupById(node, fs.groupId);
    if (g) {
      if (g.type === 'lvm-vg') return `LVM volume for ${g.name}`;
      if (isRaid(g))
        return `${fs.fstype === 'raid-spare' ? 'Spare' : 'Active'} ${g.type} device for ${g.name}`;
      if (g.type === 'bcache') return `Backing device for ${g.name}`;
      return `VMFS extent for ${g.name}`;
    }
  }
  if (fs.cacheSetId !== undefined) {
    const cs = node.cacheSets.find((c) => c.id === fs.cacheSetId);
    if (cs) return `Cache device for ${cacheSetName(node, cs)}`;
  }
  return fs.mountPoint
    ? `${fs.fstype} formatted filesystem mounted at ${fs.mountPoint}`
    : `Unmounted ${fs.fstype} formatted filesystem`;
}

/** `maasserver/utils/storage.py` `used_for`. */
export function usedFor(node: SimNode, x: SimFormattable & { partitions?: SimPartition[] }): string {
  const fs = effectiveFs(x);
  if (fs) return fsUsedFor(node, fs);
  const dev = x as Partial<SimBlockDevice>;
  if (dev.partitionTableType) {
    const n = dev.partitions?.length ?? 0;
    return `${dev.partitionTableType} partitioned with ${n} partition${n === 1 ? '' : 's'}`;
  }
  return 'Unused';
}

// ---------------------------------------------------------------- free devices and the boot disk

/** `get_free_block_devices_for_node`: no partition table and no filesystem. */
export function isFreeDevice(dev: SimBlockDevice): boolean {
  return !hasTable(dev) && effectiveFs(dev) === null;
}

export const isFreePartition = (p: SimPartition) => effectiveFs(p) === null;

/**
 * `BlockDevice.create_partition_if_boot_disk`: the boot disk cannot carry a group member directly, so MAAS gives it a
 * GPT table and one partition of all its space, and uses that partition instead.
 */
export function asMemberTarget(state: SimState, node: SimNode, dev: SimBlockDevice): StorageTarget {
  if (dev.id !== bootDisk(node)?.id) return { dev, part: null };
  return { dev, part: fullSizePartition(state, node, dev) };
}

/** A new GPT table on `dev` holding one partition of all its space. */
export function fullSizePartition(state: SimState, node: SimNode, dev: SimBlockDevice): SimPartition {
  dev.partitionTableType = 'GPT';
  return addPartition(state, node, dev, null);
}

/** `Node._clear_full_storage_configuration`: no table, filesystem, virtual device, group or special mount left. */
export function clearStorage(node: SimNode): void {
  node.blockDevices = node.blockDevices.filter((d) => d.type === 'physical');
  for (const d of node.blockDevices) {
    d.partitions = [];
    d.partitionTableType = null;
    d.filesystem = null;
    d.acquired = null;
  }
  node.groups = [];
  node.cacheSets = [];
  node.specialFilesystems = [];
}

/** The filesystems made while the machine was allocated go on release (`_create_acquired_filesystems`' undo). */
export function dropAcquiredFilesystems(node: SimNode): void {
  for (const t of allTargets(node)) {
    const x = targetOf(t);
    if (x.acquired !== undefined) x.acquired = null;
  }
}

/** `human_readable_bytes`: SI units with one decimal (`8.0 GB`), plain bytes below 1000. */
export function humanBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = n;
  for (const unit of units) {
    if (Math.abs(v) < 1000 || unit === 'EB')
      return unit === 'bytes' ? `${Math.trunc(v)} bytes` : `${v.toFixed(1)} ${unit}`;
    v /= 1000;
  }
  return `${n} bytes`;
}

const SI: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15, e: 1e18 };

/** `BytesField` + `machine_readable_bytes`: digits with an optional SI suffix (`10G` = 10⁹ × 10); null if malformed. */
export function parseBytes(text: string): number | null {
  const m = /^(-?[0-9]+)([KkMmGgTtPpEe])?$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return m[2] ? n * (SI[m[2].toLowerCase()] ?? 1) : n;
}

/** `BytesOrPercentageField`: bytes, or `<n>%` of `of`. */
export function parseBytesOrPercent(text: string, of: number): number | null {
  const pct = /^(\d+(?:\.\d*)?)%$/.exec(text.trim());
  if (pct) return Math.floor((of * Number(pct[1])) / 100);
  return parseBytes(text);
}

/** A 400 in MAAS's plain-text form, for errors models raise outside `full_clean`. */
export const textError = (message: string) => new SimHttpError(400, message);
