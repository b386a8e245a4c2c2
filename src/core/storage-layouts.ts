/**
 * Plans `machine_storage_layout` for one machine: MAAS's presets (`flat`, `lvm`, `bcache`, `blank`: one
 * `set_storage_layout` call, drawn here as MAAS's `maasserver/storage_layouts.py` builds them), the automation SDK's
 * `efi_lvm`, and `custom` (both built call by call from a blank machine).
 */

import { EFI_SIZE, GiB, humanSize, MIN_BOOT_SIZE, MIN_ROOT_SIZE, MiB, parseSize, usesEfi } from './sizes.ts';
import { planCustom } from './storage-custom.ts';
import {
  type StorageDraft as Draft,
  StorageDraft,
  type StorageHost,
  type StorageStep,
} from './storage-plan.ts';
import type { LayoutParams, StorageLayoutName, StorageSpec } from './storage-spec.ts';
import { hasRoot, type StorageTree } from './storage-tree.ts';

export interface StorageRequest {
  layout: StorageLayoutName;
  params?: LayoutParams | undefined;
  spec?: StorageSpec | undefined;
}

export interface StoragePlan {
  layout: StorageLayoutName;
  /** The machine's storage once the plan has run. */
  tree: StorageTree;
  /** The MAAS calls, in order. */
  steps: StorageStep[];
  /** Said in the preview; the plan still runs. */
  warnings: string[];
  /** Why this machine is refused; empty when the plan can run. */
  problems: string[];
}

const PRESET_PARAMS = ['boot_size', 'root_size', 'root_device'] as const;
const APPLIES: Record<StorageLayoutName, readonly (keyof LayoutParams)[]> = {
  flat: PRESET_PARAMS,
  lvm: [...PRESET_PARAMS, 'vg_name', 'lv_name', 'lv_size'],
  bcache: [...PRESET_PARAMS, 'cache_device', 'cache_mode', 'cache_size', 'cache_no_part'],
  blank: [],
  efi_lvm: [
    'efi_mb',
    'boot_size_g',
    'root_size_g',
    'home_size_g',
    'var_size_g',
    'var_log_size_g',
    'tmp_size_g',
    'device',
    'vg_name',
  ],
  custom: [],
};

/** What is wrong with the request whatever the machine: parameters of another layout, a spec without `custom`. */
export function storageRequestProblems(req: StorageRequest): string[] {
  const problems: string[] = [];
  const allowed = APPLIES[req.layout];
  for (const key of Object.keys(req.params ?? {}) as (keyof LayoutParams)[]) {
    if (!allowed.includes(key)) {
      problems.push(
        `params.${key} does not apply to layout ${req.layout}${allowed.length ? ` (it takes ${allowed.join(', ')})` : ' (it takes no params)'}`,
      );
    }
  }
  if (req.layout === 'custom' && !req.spec) problems.push('spec is required for layout custom');
  if (req.layout !== 'custom' && req.spec)
    problems.push(`spec is only for layout custom (not ${req.layout})`);
  if (req.params?.cache_no_part && req.params.cache_size !== undefined)
    problems.push('params.cache_size and params.cache_no_part cannot go together (MAAS refuses both)');
  return problems;
}

/** `/dev/sda`, `/dev/disk/by-dname/sda` or `sda` → `sda`. */
export function diskName(text: string): string {
  return text.replace(/^\/dev\/(disk\/by-dname\/)?/, '');
}

export function planStorage(host: StorageHost, req: StorageRequest): StoragePlan {
  const draft = new StorageDraft(host);
  if (!draft.bootDisk) {
    draft.problem(
      `${host.hostname} has no boot disk, so MAAS applies no storage layout to it: commission it so MAAS finds its disks`,
    );
  } else if (req.layout === 'custom' && req.spec) {
    blankFirst(draft);
    planCustom(draft, req.spec);
  } else if (req.layout === 'efi_lvm') {
    blankFirst(draft);
    planEfiLvm(draft, req.params ?? {});
  } else {
    planPreset(draft, req.layout, req.params ?? {});
  }
  const tree = draft.tree();
  if (draft.problems.length === 0) warnDeploy(draft, tree, req.layout);
  return { layout: req.layout, tree, steps: draft.steps, warnings: draft.warnings, problems: draft.problems };
}

function blankFirst(draft: Draft): void {
  draft.steps.push({ op: 'set_storage_layout', layout: 'blank', params: {} });
}

function warnDeploy(draft: Draft, tree: StorageTree, layout: StorageLayoutName): void {
  if (!hasRoot(tree)) {
    draft.warnings.push(
      layout === 'blank'
        ? 'blank leaves nothing mounted at /: MAAS refuses to deploy the machine until a layout mounts one'
        : 'nothing is mounted at /: MAAS refuses to deploy the machine until something is',
    );
  }
  const boot = tree.disks.find((d) => d.boot);
  const efi = boot?.partitions.some((p) => p.filesystem?.mount_point === '/boot/efi');
  if (usesEfi(draft.host) && !efi && layout !== 'blank') {
    draft.warnings.push(
      `${draft.host.hostname} boots UEFI and the layout has no EFI partition (/boot/efi) on its boot disk ${boot?.name ?? ''}: it may not boot`,
    );
  }
}

const bytes = (v: string | number | undefined) => (v === undefined ? undefined : parseSize(v));

function planPreset(draft: Draft, layout: StorageLayoutName, p: LayoutParams): void {
  const boot = draft.bootDisk!;
  const params: Record<string, string | number | boolean> = {};
  draft.recording = false;
  draft.steps.push({ op: 'set_storage_layout', layout, params });
  if (layout === 'blank') return;

  const bootSize = bytes(p.boot_size) ?? (layout === 'bcache' ? GiB : undefined);
  const rootSize = bytes(p.root_size);
  const maxBoot = boot.size - EFI_SIZE - MIN_ROOT_SIZE;
  const maxRoot = boot.size - EFI_SIZE - MIN_BOOT_SIZE;
  // `StorageLayoutBase.clean_boot_size`, `clean_root_size`, `clean`.
  if (bootSize !== undefined && (bootSize < MIN_BOOT_SIZE || bootSize > maxBoot)) {
    draft.problem(
      `params.boot_size must be between ${humanSize(MIN_BOOT_SIZE)} and ${humanSize(maxBoot)} on ${boot.name} (${humanSize(boot.size)})`,
    );
  }
  if (rootSize !== undefined && (rootSize < MIN_ROOT_SIZE || rootSize > maxRoot)) {
    draft.problem(
      `params.root_size must be between ${humanSize(MIN_ROOT_SIZE)} and ${humanSize(maxRoot)} on ${boot.name} (${humanSize(boot.size)})`,
    );
  }
  if (bootSize !== undefined && rootSize !== undefined && bootSize + rootSize > boot.size - EFI_SIZE) {
    draft.problem(
      `params.boot_size and params.root_size together are larger than the boot disk ${boot.name} holds`,
    );
  }
  const rootDisk = p.root_device ? draft.disk(diskName(p.root_device)) : boot;
  if (!rootDisk) {
    draft.problem(
      `params.root_device ${p.root_device} is not a disk of ${draft.host.hostname} (it has ${draft.host.disks.map((d) => d.name).join(', ')})`,
    );
  }
  if (draft.problems.length) return;
  if (bootSize !== undefined && p.boot_size !== undefined) params.boot_size = bootSize;
  if (rootSize !== undefined) params.root_size = rootSize;
  if (p.root_device && rootDisk) params.root_device = rootDisk.host.id;

  // `create_basic_layout`: EFI, then /boot, then the root partition.
  if (usesEfi(draft.host)) {
    const part = draft.partition(boot.name, EFI_SIZE, true);
    if (part) draft.format(part.name, { fstype: 'fat32', label: 'efi', mount_point: '/boot/efi' });
  }
  const arm64Bios = draft.host.architecture.startsWith('arm64') && draft.host.bootMethod !== 'uefi';
  const separateBoot = bootSize ?? (arm64Bios ? MIN_BOOT_SIZE : undefined);
  if (separateBoot !== undefined) {
    const part = draft.partition(boot.name, separateBoot, true);
    if (part) draft.format(part.name, { fstype: 'ext4', label: 'boot', mount_point: '/boot' });
  }
  const root = draft.partition((rootDisk ?? boot).name, rootSize);
  if (!root) return;
  const rootFs = { fstype: 'ext4', label: 'root', mount_point: '/' };
  if (layout === 'flat') {
    draft.format(root.name, rootFs);
  } else if (layout === 'lvm') {
    const vgName = p.vg_name ?? 'vgroot';
    const lvSize = bytes(p.lv_size);
    if (lvSize !== undefined && (lvSize < MIN_ROOT_SIZE || lvSize > root.size)) {
      draft.problem(
        `params.lv_size must be between ${humanSize(MIN_ROOT_SIZE)} and the root partition's ${humanSize(root.size)}`,
      );
      return;
    }
    if (p.vg_name) params.vg_name = p.vg_name;
    if (p.lv_name) params.lv_name = p.lv_name;
    if (lvSize !== undefined) params.lv_size = lvSize;
    const vg = draft.volumeGroup(vgName, [root.name]);
    const lv = vg && draft.logicalVolume(vg, p.lv_name ?? 'lvroot', lvSize);
    if (lv) draft.format(lv, rootFs);
  } else if (layout === 'bcache') {
    planBcachePreset(draft, p, root.name, params);
    if (draft.target('bcache0')) draft.format('bcache0', rootFs);
  }
}

function planBcachePreset(
  draft: Draft,
  p: LayoutParams,
  backing: string,
  params: Record<string, string | number | boolean>,
): void {
  const boot = draft.bootDisk!;
  const others = draft.host.disks.filter((d) => d.id !== boot.host.id);
  // `BcacheStorageLayout.get_cache_device`: the one named, else the smallest non-boot disk tagged ssd.
  const cache = p.cache_device
    ? others.find((d) => d.name === diskName(p.cache_device as string))
    : [...others].filter((d) => d.tags.includes('ssd')).sort((a, b) => a.size - b.size || a.id - b.id)[0];
  if (!cache) {
    draft.problem(
      p.cache_device
        ? `params.cache_device ${p.cache_device} is not a disk of ${draft.host.hostname} other than its boot disk ${boot.name}`
        : `${draft.host.hostname} has no disk tagged ssd besides its boot disk for the cache: name one with params.cache_device, or use layout flat or lvm`,
    );
    return;
  }
  const cacheSize = bytes(p.cache_size);
  if (cacheSize !== undefined && (cacheSize < 4 * MiB || cacheSize > cache.size)) {
    draft.problem(`params.cache_size must be between 4 MiB and ${humanSize(cache.size)} (${cache.name})`);
    return;
  }
  if (p.cache_device) params.cache_device = cache.id;
  if (p.cache_mode) params.cache_mode = p.cache_mode;
  if (cacheSize !== undefined) params.cache_size = cacheSize;
  if (p.cache_no_part) params.cache_no_part = true;
  const target = p.cache_no_part ? cache.name : draft.partition(cache.name, cacheSize)?.name;
  const set = target && draft.cacheSet(target);
  if (set) draft.bcache('bcache0', backing, set, p.cache_mode ?? 'writethrough');
}

/** The automation SDK's layout: EFI FAT32 → /boot/efi, XFS /boot, the rest an LVM PV with XFS volumes. */
function planEfiLvm(draft: Draft, p: LayoutParams): void {
  const host = draft.host;
  const disk = p.device ? draft.disk(diskName(p.device)) : draft.bootDisk;
  if (!disk) {
    draft.problem(
      `params.device ${p.device} is not a disk of ${host.hostname} (it has ${host.disks.map((d) => d.name).join(', ')})`,
    );
    return;
  }
  const efi = (p.efi_mb ?? 512) * MiB;
  const boot = Math.floor((p.boot_size_g ?? 2) * GiB);
  if (efi > 0 && !usesEfi(host)) {
    draft.problem(
      `${host.hostname} does not boot UEFI (${host.bootMethod || 'unknown'}): set params.efi_mb to 0 to leave the EFI partition out`,
    );
    return;
  }
  if (!disk.boot) {
    draft.warnings.push(
      `${disk.name} is not the boot disk (${draft.bootDisk?.name}): the machine boots from a disk this layout leaves empty`,
    );
  }
  const volumes = [
    { name: 'root', size: p.root_size_g ?? 50, mount: '/' },
    { name: 'home', size: p.home_size_g ?? 10, mount: '/home' },
    { name: 'var', size: p.var_size_g ?? 10, mount: '/var' },
    { name: 'var-log', size: p.var_log_size_g ?? 10, mount: '/var/log' },
    { name: 'tmp', size: p.tmp_size_g ?? 10, mount: '/tmp' },
  ];
  if (volumes[0]?.size === 0) {
    draft.problem('params.root_size_g must be more than 0: it holds /');
    return;
  }
  if (efi > 0) {
    const part = draft.partition(disk.name, efi, true);
    if (part) draft.format(part.name, { fstype: 'fat32', label: 'efi', mount_point: '/boot/efi' });
  }
  if (boot > 0) {
    const part = draft.partition(disk.name, boot, true);
    if (part) draft.format(part.name, { fstype: 'xfs', label: 'boot', mount_point: '/boot' });
  }
  const pv = draft.partition(disk.name, undefined);
  const vg = pv && draft.volumeGroup(p.vg_name ?? 'vg-main', [pv.name]);
  if (!vg) return;
  for (const v of volumes) {
    if (v.size === 0) continue;
    const lv = draft.logicalVolume(vg, v.name, Math.floor(v.size * GiB));
    if (lv) draft.format(lv, { fstype: 'xfs', label: v.name, mount_point: v.mount });
  }
}
