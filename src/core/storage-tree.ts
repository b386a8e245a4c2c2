/**
 * A machine's storage as one tree — disks → partitions → filesystems; volume groups → logical volumes; RAIDs;
 * bcaches — read from MAAS or planned, and drawn for people with human sizes (bytes stay in the structure).
 */
import * as z from 'zod/v4';
import type { MachineConfig } from '../maas/machine-config.ts';
import type { BlockDevice } from '../maas/schemas.ts';
import type { StorageGroups, StorageMember } from '../maas/storage.ts';
import { humanSize } from './sizes.ts';

export const TreeFilesystem = z.object({
  fstype: z.string(),
  mount_point: z.string().nullable(),
  label: z.string().nullable(),
});
export type TreeFilesystem = z.infer<typeof TreeFilesystem>;

const fs = TreeFilesystem.nullable();

export const TreePartition = z.object({
  name: z.string(),
  size: z.number(),
  bootable: z.boolean(),
  filesystem: fs,
  used_for: z.string(),
});

export const TreeDisk = z.object({
  name: z.string(),
  size: z.number(),
  boot: z.boolean(),
  model: z.string().nullable(),
  tags: z.array(z.string()),
  partition_table: z.string().nullable(),
  filesystem: fs,
  used_for: z.string(),
  partitions: z.array(TreePartition),
});
export type TreeDisk = z.infer<typeof TreeDisk>;

export const TreeVolumeGroup = z.object({
  name: z.string(),
  size: z.number(),
  free: z.number(),
  devices: z.array(z.string()),
  logical_volumes: z.array(z.object({ name: z.string(), size: z.number(), filesystem: fs })),
});

export const TreeRaid = z.object({
  name: z.string(),
  level: z.string(),
  size: z.number(),
  devices: z.array(z.string()),
  spares: z.array(z.string()),
  filesystem: fs,
});

export const TreeBcache = z.object({
  name: z.string(),
  size: z.number(),
  backing: z.string(),
  cache: z.string(),
  cache_set: z.string(),
  cache_mode: z.string(),
  filesystem: fs,
});

export const StorageTree = z
  .object({
    disks: z.array(TreeDisk),
    volume_groups: z.array(TreeVolumeGroup),
    raids: z.array(TreeRaid),
    bcaches: z.array(TreeBcache),
  })
  .describe(
    'Disks, volume groups (LVs named <vg>-<lv>), RAIDs, bcaches; sizes in bytes; fstype may be a member role (lvm-pv, raid, bcache-cache, …)',
  );
export type StorageTree = z.infer<typeof StorageTree>;

type MaasFs = BlockDevice['filesystem'];

export function treeFs(fs: MaasFs): TreeFilesystem | null {
  if (!fs?.fstype) return null;
  return { fstype: fs.fstype, mount_point: fs.mount_point || null, label: fs.label || null };
}

const partName = (path: string, id: number) => path.split('/').pop() || String(id);
const names = (ms: readonly StorageMember[]) => ms.map((m) => m.name);

/** The tree of what MAAS has: the machine's disks and virtual devices, and its storage groups. */
export function storageTreeFromMaas(
  m: Pick<MachineConfig, 'boot_disk' | 'physicalblockdevice_set'>,
  groups: StorageGroups,
): StorageTree {
  const fsOf = (d: BlockDevice | null | undefined) => treeFs(d?.filesystem);
  return {
    disks: (m.physicalblockdevice_set ?? []).map((d) => ({
      name: d.name,
      size: d.size,
      boot: d.id === m.boot_disk?.id,
      model: d.model ?? null,
      tags: d.tags,
      partition_table: d.partition_table_type ?? null,
      filesystem: treeFs(d.filesystem),
      used_for: d.used_for,
      partitions: d.partitions.map((p) => ({
        name: partName(p.path, p.id),
        size: p.size,
        bootable: p.bootable ?? false,
        filesystem: treeFs(p.filesystem),
        used_for: p.used_for,
      })),
    })),
    volume_groups: groups.volumeGroups.map((vg) => ({
      name: vg.name,
      size: vg.size,
      free: vg.available_size,
      devices: names(vg.devices),
      logical_volumes: vg.logical_volumes.map((lv) => ({
        name: lv.name,
        size: lv.size,
        filesystem: fsOf(lv),
      })),
    })),
    raids: groups.raids.map((r) => ({
      name: r.name,
      level: r.level,
      size: Math.floor(r.size),
      devices: names(r.devices),
      spares: names(r.spare_devices),
      filesystem: fsOf(r.virtual_device),
    })),
    bcaches: groups.bcaches.map((b) => ({
      name: b.name,
      size: b.size,
      backing: b.backing_device?.name ?? '',
      cache: b.cache_set?.cache_device?.name ?? '',
      cache_set: b.cache_set?.name ?? '',
      cache_mode: b.cache_mode ?? '',
      filesystem: fsOf(b.virtual_device),
    })),
  };
}

/** True when something in the tree is mounted at `/` (MAAS deploys nothing else). */
export function hasRoot(tree: StorageTree): boolean {
  const mounts = [
    ...tree.disks.flatMap((d) => [d.filesystem, ...d.partitions.map((p) => p.filesystem)]),
    ...tree.volume_groups.flatMap((vg) => vg.logical_volumes.map((lv) => lv.filesystem)),
    ...tree.raids.map((r) => r.filesystem),
    ...tree.bcaches.map((b) => b.filesystem),
  ];
  return mounts.some((fs) => fs?.mount_point === '/');
}

function fsText(fs: TreeFilesystem | null, usedFor: string): string {
  if (!fs) return usedFor && usedFor !== 'Unused' ? usedFor : 'unused';
  switch (fs.fstype) {
    case 'lvm-pv':
    case 'raid':
    case 'raid-spare':
    case 'bcache-backing':
    case 'bcache-cache':
      return usedFor || fs.fstype;
  }
  if (fs.fstype === 'swap') return 'swap';
  return fs.mount_point ? `${fs.fstype} → ${fs.mount_point}` : `${fs.fstype}, not mounted`;
}

function branch(items: readonly string[]): string[] {
  return items.map((line, i) => `${i === items.length - 1 ? '└─' : '├─'} ${line}`);
}

/** What a RAID or bcache device is to the groups built on it: "LVM volume for vg0". */
function roles(tree: StorageTree): Map<string, string> {
  const out = new Map<string, string>();
  for (const vg of tree.volume_groups) for (const d of vg.devices) out.set(d, `LVM volume for ${vg.name}`);
  for (const b of tree.bcaches) {
    out.set(b.backing, `Backing device for ${b.name}`);
    out.set(b.cache, `Cache device for ${b.cache_set}`);
  }
  return out;
}

/** The tree drawn for people: one line per disk, partition, group and volume. */
export function renderStorageTree(tree: StorageTree): string[] {
  const lines: string[] = [];
  const role = roles(tree);
  for (const d of tree.disks) {
    const facts = [humanSize(d.size), ...d.tags, d.boot ? 'boot disk' : ''].filter(Boolean).join(', ');
    const head = `${d.name} (${facts})`;
    if (d.partitions.length === 0) {
      lines.push(`${head}: ${fsText(d.filesystem, d.used_for)}`);
      continue;
    }
    lines.push(`${head}, ${d.partition_table ?? 'GPT'}:`);
    lines.push(
      ...branch(
        d.partitions.map(
          (p) =>
            `${p.name} ${humanSize(p.size)}: ${fsText(p.filesystem, p.used_for)}${p.bootable ? ' (bootable)' : ''}`,
        ),
      ),
    );
  }
  for (const r of tree.raids) {
    const spares = r.spares.length ? `, spares ${r.spares.join(', ')}` : '';
    lines.push(
      `${r.name}: ${r.level} ${humanSize(r.size)} on ${r.devices.join(', ')}${spares}: ${fsText(r.filesystem, role.get(r.name) ?? '')}`,
    );
  }
  for (const b of tree.bcaches) {
    lines.push(
      `${b.name}: bcache ${humanSize(b.size)}, backing ${b.backing}, cache ${b.cache} (${b.cache_set}, ${b.cache_mode}): ${fsText(b.filesystem, role.get(b.name) ?? '')}`,
    );
  }
  for (const vg of tree.volume_groups) {
    lines.push(
      `volume group ${vg.name} ${humanSize(vg.size)} (${humanSize(vg.free)} free) on ${vg.devices.join(', ')}${vg.logical_volumes.length ? ':' : ''}`,
    );
    lines.push(
      ...branch(
        vg.logical_volumes.map((lv) => `${lv.name} ${humanSize(lv.size)}: ${fsText(lv.filesystem, '')}`),
      ),
    );
  }
  return lines;
}

const ROLES: [RegExp, string][] = [
  [/^LVM volume for (.+)$/, 'LVM $1'],
  [/^Active (raid-\d+) device for (.+)$/, '$1 $2'],
  [/^Spare (raid-\d+) device for (.+)$/, '$1 spare $2'],
  [/^Backing device for (.+)$/, 'backing $1'],
  [/^Cache device for (.+)$/, 'cache $1'],
];

/** A filesystem or role in a few words: "xfs /boot", "swap", "LVM vg-main", "raid-1 md0". */
function shortFs(fs: TreeFilesystem | null, usedFor: string): string {
  if (!fs) return 'unused';
  for (const [re, short] of ROLES) if (re.test(usedFor)) return usedFor.replace(re, short);
  return fs.mount_point ? `${fs.fstype} ${fs.mount_point}` : fs.fstype;
}

/**
 * The tree on one line, for a preview row: each disk that holds something, then RAIDs, bcaches and volume groups.
 * "sda: sda-part1 512 MiB fat32 /boot/efi, sda-part2 1.74 TiB LVM vg-main; vg-main 1.74 TiB: root 50 GiB xfs / …"
 */
export function layoutLine(tree: StorageTree): string {
  const role = roles(tree);
  const parts: string[] = [];
  for (const d of tree.disks) {
    if (d.partitions.length)
      parts.push(
        `${d.name}: ${d.partitions.map((p) => `${p.name} ${humanSize(p.size)} ${shortFs(p.filesystem, p.used_for)}`).join(', ')}`,
      );
    else if (d.filesystem) parts.push(`${d.name}: ${shortFs(d.filesystem, d.used_for)}`);
  }
  for (const r of tree.raids)
    parts.push(
      `${r.name} ${r.level} ${humanSize(r.size)} on ${[...r.devices, ...r.spares.map((s) => `${s} (spare)`)].join(', ')}: ${shortFs(r.filesystem, role.get(r.name) ?? '')}`,
    );
  for (const b of tree.bcaches)
    parts.push(
      `${b.name} ${humanSize(b.size)} (${b.backing} cached by ${b.cache}, ${b.cache_mode}): ${shortFs(b.filesystem, role.get(b.name) ?? '')}`,
    );
  for (const vg of tree.volume_groups) {
    const lvs = vg.logical_volumes.map(
      (lv) => `${lv.name.slice(vg.name.length + 1)} ${humanSize(lv.size)} ${shortFs(lv.filesystem, '')}`,
    );
    parts.push(
      `${vg.name} ${humanSize(vg.size)}${lvs.length ? `: ${lvs.join(', ')}` : ''} (${humanSize(vg.free)} free)`,
    );
  }
  return parts.join('; ') || 'nothing on any disk';
}
