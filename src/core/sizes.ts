/**
 * Sizes as MAAS computes them for storage (MAAS `maasserver/models/partitiontable.py`, `partition.py`,
 * `filesystemgroup.py`, `maasserver/storage_layouts.py`), the size words a caller may type, and sizes for people.
 */
import * as z from 'zod/v4';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** `PARTITION_ALIGNMENT_SIZE`, `MIN_PARTITION_SIZE`, `LVM_PE_SIZE`: all 4 MiB. */
export const ALIGNMENT = 4 * MiB;
export const MIN_PARTITION_SIZE = ALIGNMENT;
export const LVM_EXTENT = ALIGNMENT;
/** `RAID_SUPERBLOCK_OVERHEAD`. */
export const RAID_OVERHEAD = 128 * KiB;
/** The EFI partition MAAS's layouts make (`storage_layouts.py` `EFI_PARTITION_SIZE`). */
export const EFI_SIZE = 512 * MiB;
/** `MIN_BOOT_PARTITION_SIZE`, `MIN_ROOT_PARTITION_SIZE`. */
export const MIN_BOOT_SIZE = 512 * MiB;
export const MIN_ROOT_SIZE = 3 * GiB;

export function alignDown(size: number, to = ALIGNMENT): number {
  return Math.floor(size / to) * to;
}

/** What a machine's firmware and architecture change in MAAS's storage arithmetic. */
export interface DiskHost {
  /** `amd64/generic`, `arm64/generic`, … */
  architecture: string;
  /** `uefi`, `pxe`, … (`bios_boot_method`). */
  bootMethod: string;
}

const arch = (h: DiskHost) => h.architecture.split('/')[0] ?? '';

/** True when MAAS's layouts give the boot disk an EFI partition (GPT, UEFI, not ppc64el). */
export function usesEfi(h: DiskHost): boolean {
  return h.bootMethod === 'uefi' && arch(h) !== 'ppc64el';
}

/**
 * `PartitionTable.get_overhead_size`: 4 MiB at the start and 1 MiB at the end of every disk, plus 1 MiB (bios_grub)
 * on amd64 booting other than UEFI, or 8 MiB (PReP) on ppc64el.
 */
export function tableOverhead(h: DiskHost): number {
  let size = 5 * MiB;
  if (arch(h) === 'ppc64el') size += 8 * MiB;
  else if (arch(h) === 'amd64' && h.bootMethod !== 'uefi') size += MiB;
  return size;
}

/** `PartitionTable.get_available_size` of an empty disk (a disk with no table is counted as if it had one). */
export function diskAvailable(h: DiskHost, diskSize: number, used = 0): number {
  return Math.max(0, alignDown(diskSize - used - tableOverhead(h)));
}

/**
 * `Partition._get_partition_number` for the first partition of a GPT table: index 1 is left for bios_grub on
 * amd64 booting other than UEFI (physical disks), or for PReP on the ppc64el boot disk.
 */
export function firstPartitionIndex(h: DiskHost, opts: { physical: boolean; bootDisk: boolean }): number {
  if (arch(h) === 'amd64' && h.bootMethod !== 'uefi' && opts.physical) return 2;
  if (arch(h) === 'ppc64el' && opts.bootDisk) return 2;
  return 1;
}

/** `FilesystemGroup.get_lvm_size`: the PVs rounded down to the extent, less one extent of metadata per PV. */
export function volumeGroupSize(pvSizes: readonly number[]): number {
  const total = pvSizes.reduce((a, b) => a + b, 0);
  return Math.max(0, alignDown(total, LVM_EXTENT) - LVM_EXTENT * pvSizes.length);
}

export type RaidLevel = 'raid-0' | 'raid-1' | 'raid-5' | 'raid-6' | 'raid-10';
export const RAID_LEVELS: readonly RaidLevel[] = ['raid-0', 'raid-1', 'raid-5', 'raid-6', 'raid-10'];

/** `FilesystemGroup._validate_raid`: the fewest active members; RAID 0 takes no spares. */
export const RAID_MIN_DEVICES: Readonly<Record<RaidLevel, number>> = {
  'raid-0': 2,
  'raid-1': 2,
  'raid-5': 3,
  'raid-6': 4,
  'raid-10': 3,
};

/**
 * `FilesystemGroup.get_raid_size`: `min` is the smallest member, spares included; RAID 10 is a true division (a
 * float in MAAS's JSON), floored here to whole bytes.
 */
export function raidSize(level: RaidLevel, active: readonly number[], spares: readonly number[]): number {
  const all = [...active, ...spares];
  const min = Math.min(...all);
  const n = active.length;
  switch (level) {
    case 'raid-0':
      return active.reduce((a, b) => a + b, 0) - RAID_OVERHEAD * all.length;
    case 'raid-1':
      return min - RAID_OVERHEAD;
    case 'raid-5':
      return min * (n - 1) - RAID_OVERHEAD;
    case 'raid-6':
      return min * (n - 2) - RAID_OVERHEAD;
    case 'raid-10':
      return Math.floor((min * n) / 2 - RAID_OVERHEAD);
  }
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  p: 1e15,
  pb: 1e15,
  kib: KiB,
  mib: MiB,
  gib: GiB,
  tib: TiB,
  pib: 1024 * TiB,
};

/** A size word: bytes, `512M`, `2G`, `1.5T` (powers of 1000, as MAAS reads them), `512MiB`, `2GiB` (of 1024). */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isSafeInteger(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const SIZE_HELP =
  'a size: bytes, or a number with K/M/G/T (powers of 1000, as MAAS reads them) or KiB/MiB/GiB/TiB (powers of 1024), e.g. "50G" or "512MiB"';

/** A size in bytes as input: a number of bytes or a size word, read by {@link parseSize}. */
export const SizeInput = z
  .union([z.number().int().min(0), z.string().min(1)])
  .refine((v) => parseSize(v) !== undefined, { message: `must be ${SIZE_HELP}` });

/** A size, or `rest`: all the space left (one per disk or volume group). */
export const SizeOrRest = z
  .union([z.literal('rest'), z.number().int().min(0), z.string().min(1)])
  .refine((v) => v === 'rest' || parseSize(v) !== undefined, { message: `must be "rest" or ${SIZE_HELP}` });

/** Bytes for people, in powers of 1024 with up to three figures: `512 MiB`, `1.75 TiB`, `50 GiB`. */
export function humanSize(bytes: number): string {
  if (bytes < KiB) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes / KiB;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  const shown = value >= 100 ? Math.round(value) : value >= 10 ? round(value, 1) : round(value, 2);
  return `${shown} ${units[i]}`;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
