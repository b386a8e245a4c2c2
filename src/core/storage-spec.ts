/**
 * What a caller asks of `machine_storage_layout`: a layout name, its parameters (MAAS's for the presets; the
 * automation SDK's `storage.params` for `efi_lvm`), and for `custom` a declarative tree. Field names follow MAAS
 * (`fstype`, `mount_point`) and the SDK's JSON, so its examples pass unchanged.
 */
import * as z from 'zod/v4';
import { RAID_LEVELS, SizeInput, SizeOrRest } from './sizes.ts';

export const STORAGE_LAYOUTS = ['flat', 'lvm', 'bcache', 'blank', 'efi_lvm', 'custom'] as const;
export type StorageLayoutName = (typeof STORAGE_LAYOUTS)[number];

/** `FILESYSTEM_FORMAT_TYPE_CHOICES` less the virtual ones, which MAAS refuses on a device. */
export const FSTYPES = ['ext2', 'ext4', 'xfs', 'fat32', 'vfat', 'swap', 'btrfs', 'zfsroot'] as const;
export const CACHE_MODES = ['writeback', 'writethrough', 'writearound'] as const;

const gib = (what: string) => z.number().min(0).max(1_000_000).optional().describe(what);

export const LayoutParams = z
  .object({
    boot_size: SizeInput.optional().describe('flat/lvm/bcache: a separate /boot (≥ 512 MiB)'),
    root_size: SizeInput.optional().describe(
      'flat/lvm/bcache: the root partition (≥ 3 GiB; default the rest)',
    ),
    root_device: z
      .string()
      .optional()
      .describe('flat/lvm/bcache: the root partition’s disk (default the boot disk)'),
    vg_name: z.string().optional().describe('lvm (default vgroot), efi_lvm (default vg-main)'),
    lv_name: z.string().optional().describe('lvm: default lvroot'),
    lv_size: SizeInput.optional().describe('lvm: ≥ 3 GiB; default the whole group'),
    cache_device: z.string().optional().describe('bcache: default the smallest non-boot disk tagged ssd'),
    cache_mode: z.enum(CACHE_MODES).optional().describe('bcache: default writethrough'),
    cache_size: SizeInput.optional().describe('bcache: default the whole cache disk'),
    cache_no_part: z.boolean().optional().describe('bcache: the whole cache disk, no partition'),
    efi_mb: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .optional()
      .describe('efi_lvm: FAT32 /boot/efi, MiB (512; 0: none)'),
    boot_size_g: gib('efi_lvm: XFS /boot, GiB (2)'),
    root_size_g: gib('efi_lvm: volume root, XFS /, GiB (50)'),
    home_size_g: gib('efi_lvm: volume home, /home (10)'),
    var_size_g: gib('efi_lvm: volume var, /var (10)'),
    var_log_size_g: gib('efi_lvm: volume var-log, /var/log (10)'),
    tmp_size_g: gib('efi_lvm: volume tmp, /tmp (10; 0 leaves a volume out)'),
    device: z.string().optional().describe('efi_lvm: the disk, sda or /dev/sda (default the boot disk)'),
  })
  .strict();
export type LayoutParams = z.infer<typeof LayoutParams>;

const fsFields = {
  fstype: z.enum(FSTYPES).optional(),
  mount_point: z.string().optional(),
  mount_options: z.string().optional(),
  label: z.string().max(64).optional(),
};

export const SpecPartition = z
  .object({
    size: SizeOrRest,
    bootable: z.boolean().optional(),
    ...fsFields,
  })
  .strict();

export const SpecDisk = z
  .object({
    name: z.string().min(1),
    partitions: z.array(SpecPartition).max(64).optional().describe('MAAS names them <disk>-part<N>'),
    ...fsFields,
  })
  .strict();

export const SpecRaid = z
  .object({
    name: z.string().min(1),
    level: z.enum(RAID_LEVELS),
    devices: z.array(z.string().min(1)).min(1).describe('Disks (sdb) or partitions (sdb-part1)'),
    spares: z.array(z.string().min(1)).optional(),
    ...fsFields,
  })
  .strict();

export const SpecLogicalVolume = z
  .object({
    name: z.string().min(1),
    size: SizeOrRest,
    ...fsFields,
  })
  .strict();

export const SpecVolumeGroup = z
  .object({
    name: z.string().min(1),
    devices: z.array(z.string().min(1)).min(1).describe('Disks, partitions, RAIDs or bcaches'),
    logical_volumes: z.array(SpecLogicalVolume).max(64).optional(),
  })
  .strict();

export const SpecBcache = z
  .object({
    name: z.string().min(1),
    backing: z.string().min(1).describe('A disk, partition or RAID'),
    cache: z.string().min(1).describe('A disk or partition'),
    cache_mode: z.enum(CACHE_MODES).optional().describe('Default writethrough'),
    ...fsFields,
  })
  .strict();

export const StorageSpec = z
  .object({
    disks: z.array(SpecDisk).max(64).optional().describe('Partitions, or a filesystem on the whole disk'),
    raids: z.array(SpecRaid).max(32).optional(),
    bcaches: z.array(SpecBcache).max(32).optional(),
    volume_groups: z.array(SpecVolumeGroup).max(32).optional(),
  })
  .strict()
  .describe(
    'custom, from blank; mount_point absolute (none for swap). Sizes: bytes, K/M/G/T (×1000) or KiB/MiB/GiB/TiB; "rest"',
  );
export type StorageSpec = z.infer<typeof StorageSpec>;
export type SpecFs = { [K in keyof typeof fsFields]?: z.infer<(typeof fsFields)[K]> };
