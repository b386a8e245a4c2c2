/**
 * What a caller asks of `machine_storage_layout`: a layout name, its parameters (MAAS's for the presets; the
 * automation SDK's `storage.params` for `efi_lvm`), and for `custom` a declarative tree. Field names follow MAAS
 * (`fstype`, `mount_point`) and the SDK's JSON, so its examples pass unchanged.
 */
import { z } from 'zod';
import { RAID_LEVELS, SizeInput, SizeOrRest } from './sizes.ts';

export const STORAGE_LAYOUTS = ['flat', 'lvm', 'bcache', 'blank', 'efi_lvm', 'custom'] as const;
export type StorageLayoutName = (typeof STORAGE_LAYOUTS)[number];

/** `FILESYSTEM_FORMAT_TYPE_CHOICES` less the virtual ones, which MAAS refuses on a device. */
export const FSTYPES = ['ext2', 'ext4', 'xfs', 'fat32', 'vfat', 'swap', 'btrfs', 'zfsroot'] as const;
export const CACHE_MODES = ['writeback', 'writethrough', 'writearound'] as const;

const gib = (what: string) =>
  z.number().min(0).max(1_000_000).optional().describe(`${what}, in GiB (0 leaves it out)`);

export const LayoutParams = z
  .object({
    boot_size: SizeInput.optional().describe(
      'flat/lvm/bcache: size of a separate /boot partition (at least 512 MiB)',
    ),
    root_size: SizeInput.optional().describe(
      'flat/lvm/bcache: size of the root partition (at least 3 GiB; default all the rest)',
    ),
    root_device: z
      .string()
      .optional()
      .describe('flat/lvm/bcache: the disk for the root partition (name, e.g. sdb; default the boot disk)'),
    vg_name: z
      .string()
      .optional()
      .describe('lvm: volume group name (default vgroot); efi_lvm: default vg-main'),
    lv_name: z.string().optional().describe('lvm: root logical volume name (default lvroot)'),
    lv_size: SizeInput.optional().describe(
      'lvm: root logical volume size (at least 3 GiB; default the whole group)',
    ),
    cache_device: z
      .string()
      .optional()
      .describe('bcache: the cache disk (name; default the smallest non-boot disk tagged ssd)'),
    cache_mode: z
      .enum(CACHE_MODES)
      .optional()
      .describe('bcache: writeback, writethrough (default) or writearound'),
    cache_size: SizeInput.optional().describe(
      'bcache: size of the cache partition (default the whole cache disk)',
    ),
    cache_no_part: z.boolean().optional().describe('bcache: use the whole cache disk, without a partition'),
    efi_mb: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .optional()
      .describe('efi_lvm: EFI partition (FAT32, /boot/efi) in MiB (default 512; 0 leaves it out)'),
    boot_size_g: gib('efi_lvm: /boot partition (XFS; default 2)'),
    root_size_g: gib('efi_lvm: logical volume root (XFS, /; default 50)'),
    home_size_g: gib('efi_lvm: logical volume home (XFS, /home; default 10)'),
    var_size_g: gib('efi_lvm: logical volume var (XFS, /var; default 10)'),
    var_log_size_g: gib('efi_lvm: logical volume var-log (XFS, /var/log; default 10)'),
    tmp_size_g: gib('efi_lvm: logical volume tmp (XFS, /tmp; default 10)'),
    device: z.string().optional().describe('efi_lvm: the disk, as sda or /dev/sda (default the boot disk)'),
  })
  .strict();
export type LayoutParams = z.infer<typeof LayoutParams>;

const fsFields = {
  fstype: z.enum(FSTYPES).optional().describe('Filesystem to create (omit for none)'),
  mount_point: z.string().optional().describe('Absolute path to mount it at (not for swap)'),
  mount_options: z.string().optional().describe('Mount options, e.g. noatime'),
  label: z.string().max(64).optional().describe('Filesystem label'),
};

export const SpecPartition = z
  .object({
    size: SizeOrRest.describe('Size, or "rest" for the space left on the disk (one per disk)'),
    bootable: z.boolean().optional().describe('Mark the partition bootable (EFI and /boot partitions)'),
    ...fsFields,
  })
  .strict();

export const SpecDisk = z
  .object({
    name: z.string().min(1).describe('A disk of the machine, e.g. sda or nvme0n1'),
    partitions: z
      .array(SpecPartition)
      .max(64)
      .optional()
      .describe('Partitions, in order; MAAS names them <disk>-part<N>'),
    ...fsFields,
  })
  .strict()
  .describe('A disk: partitions, or a filesystem on the whole disk');

export const SpecRaid = z
  .object({
    name: z.string().min(1).describe('RAID device name, e.g. md0'),
    level: z.enum(RAID_LEVELS).describe('raid-0, raid-1, raid-5, raid-6 or raid-10'),
    devices: z
      .array(z.string().min(1))
      .min(1)
      .describe('Active members: disks (sdb) or partitions (sdb-part1)'),
    spares: z.array(z.string().min(1)).optional().describe('Spare members (not for raid-0)'),
    ...fsFields,
  })
  .strict();

export const SpecLogicalVolume = z
  .object({
    name: z.string().min(1).describe('Logical volume name; MAAS names the device <volume group>-<name>'),
    size: SizeOrRest.describe('Size, or "rest" for the space left in the volume group (one per group)'),
    ...fsFields,
  })
  .strict();

export const SpecVolumeGroup = z
  .object({
    name: z.string().min(1).describe('Volume group name'),
    devices: z
      .array(z.string().min(1))
      .min(1)
      .describe('Physical volumes: disks, partitions, RAIDs or bcaches'),
    logical_volumes: z.array(SpecLogicalVolume).max(64).optional().describe('Logical volumes, in order'),
  })
  .strict();

export const SpecBcache = z
  .object({
    name: z.string().min(1).describe('Bcache device name, e.g. bcache0'),
    backing: z.string().min(1).describe('The slow device: a disk, partition or RAID'),
    cache: z.string().min(1).describe('The fast device: a disk or partition (its cache set is made for it)'),
    cache_mode: z.enum(CACHE_MODES).optional().describe('writeback, writethrough (default) or writearound'),
    ...fsFields,
  })
  .strict();

export const StorageSpec = z
  .object({
    disks: z.array(SpecDisk).max(64).optional().describe('Disks to partition or format'),
    raids: z.array(SpecRaid).max(32).optional().describe('Software RAIDs'),
    bcaches: z.array(SpecBcache).max(32).optional().describe('Bcache devices'),
    volume_groups: z
      .array(SpecVolumeGroup)
      .max(32)
      .optional()
      .describe('LVM volume groups and their logical volumes'),
  })
  .strict()
  .describe(
    'A custom layout, built from a blank machine: disks with partitions and filesystems, RAIDs, bcaches, volume groups with logical volumes',
  );
export type StorageSpec = z.infer<typeof StorageSpec>;
export type SpecFs = { [K in keyof typeof fsFields]?: z.infer<(typeof fsFields)[K]> };
