/**
 * `set_storage_layout` and the default layout commissioning applies (MAAS `maasserver/storage_layouts.py`,
 * `maasserver/api/machines.py` `MachineHandler.set_storage_layout`, `maasserver/models/node.py`
 * `set_default_storage_layout`): each layout's form checks, then the whole storage cleared and rebuilt as MAAS builds
 * it.
 */
import { badRequest, choiceError, djangoBool, fieldErrors, Params } from './http.ts';
import type { SimBlockDevice, SimNode, SimPartition, SimState } from './model.ts';
import {
  createBcache,
  createCacheSet,
  createLogicalVolume,
  createVmfs,
  createVolumeGroup,
} from './storage-groups.ts';
import {
  addPartition,
  bootDisk,
  clearStorage,
  deviceAvailableSize,
  EFI_PARTITION_SIZE,
  GiB,
  groupVirtualDevices,
  MIN_BLOCK_DEVICE_SIZE,
  MIN_BOOT_PARTITION_SIZE,
  MIN_ROOT_PARTITION_SIZE,
  MiB,
  newFilesystem,
  nextGroupName,
  parseBytesOrPercent,
  physicalDevices,
  vgAvailable,
} from './storage-model.ts';

/** `STORAGE_LAYOUTS` (a frozenset in MAAS, so the order in its error text is not stable; this is one order). */
export const STORAGE_LAYOUT_NAMES = ['bcache', 'blank', 'custom', 'flat', 'lvm', 'vmfs6', 'vmfs7'] as const;
export type StorageLayoutName = (typeof STORAGE_LAYOUT_NAMES)[number];

type Errors = Record<string, string[]>;

/** `compose_invalid_choice_text`. */
function invalidChoice(name: string, value: string, choices: readonly (string | number)[]): string {
  return `'${value}' is not a valid ${name}.  It should be one of: ${choices.map((c) => `'${c}'`).join(', ')}.`;
}

/** A cleaned layout request: every size resolved to bytes. */
interface LayoutParams {
  bootSize: number;
  rootSize: number | null;
  rootDevice: SimBlockDevice;
  vgName: string;
  lvName: string;
  lvSize: number | null;
  cacheDevice: SimBlockDevice | null;
  cacheMode: string;
  cacheSize: number | null;
  cacheNoPart: boolean;
}

/** `BytesOrPercentageField` with the `_clean_size` bounds. */
function sizeField(
  data: Params,
  key: string,
  of: number,
  min: number | null,
  max: number | null,
  errors: Errors,
): number | null {
  const v = data.get(key);
  if (v === undefined || v.trim() === '') return null;
  const size = parseBytesOrPercent(v, of);
  if (size === null) {
    errors[key] = ['Enter a valid value.'];
    return null;
  }
  if (min !== null && size < min) errors[key] = [`Size is too small. Minimum size is ${min}.`];
  else if (max !== null && size > max) errors[key] = [`Size is too large. Maximum size is ${max}.`];
  return size;
}

const MISSING_BOOT_DISK = 'Machine is missing a boot disk; no storage layout can be applied.';

/** The layout's form (`StorageLayoutBase` and its subclasses): field errors as one 400 JSON answer. */
function cleanParams(node: SimNode, layout: StorageLayoutName, data: Params): LayoutParams {
  const boot = bootDisk(node);
  const physical = physicalDevices(node);
  const errors: Errors = {};
  const base = boot ? boot.size - EFI_PARTITION_SIZE : 0;
  const bootSize = boot
    ? sizeField(data, 'boot_size', base, MIN_BOOT_PARTITION_SIZE, base - MIN_ROOT_PARTITION_SIZE, errors)
    : null;
  const rootSize = boot
    ? sizeField(data, 'root_size', base, MIN_ROOT_PARTITION_SIZE, base - MIN_BOOT_PARTITION_SIZE, errors)
    : null;
  const rootSpec = data.get('root_device');
  let rootDevice = boot;
  if (rootSpec) {
    rootDevice = physical.find((d) => String(d.id) === rootSpec.trim());
    if (!rootDevice)
      errors.root_device = [
        invalidChoice(
          'root_device',
          rootSpec,
          physical.map((d) => d.id),
        ),
      ];
  }
  // `clean()` runs after the fields: no boot disk is a layout error, not a field error.
  if (!boot) throw badRequest(MISSING_BOOT_DISK);
  const p: LayoutParams = {
    bootSize: bootSize ?? 0,
    rootSize,
    rootDevice: rootDevice ?? boot,
    vgName: data.get('vg_name') || 'vgroot',
    lvName: data.get('lv_name') || 'lvroot',
    lvSize: null,
    cacheDevice: null,
    cacheMode: 'writethrough',
    cacheSize: null,
    cacheNoPart: false,
  };
  if (rootSize !== null && EFI_PARTITION_SIZE + p.bootSize + rootSize > boot.size) {
    errors.__all__ = [
      'Size of the boot partition and root partition are larger than the available space on the boot disk.',
    ];
  }
  if (layout === 'lvm') {
    const rootSpace = rootSize ?? boot.size - EFI_PARTITION_SIZE - p.bootSize;
    p.lvSize = sizeField(data, 'lv_size', rootSpace, MIN_ROOT_PARTITION_SIZE, rootSpace, errors);
  }
  if (layout === 'bcache') cleanBcache(node, boot, data, p, errors);
  if (layout === 'vmfs6' || layout === 'vmfs7') {
    const min = layout === 'vmfs6' ? 10 : 32;
    if (boot.size < min * GiB)
      errors.boot_size = [...(errors.boot_size ?? []), `Boot disk must be at least ${min}Gb.`];
  }
  if (Object.keys(errors).length) throw fieldErrors(errors);
  return p;
}

/** `BcacheStorageLayout`: `cache_device` (a physical id other than the boot disk), `cache_mode`, `cache_size`, `cache_no_part`. */
function cleanBcache(
  node: SimNode,
  boot: SimBlockDevice,
  data: Params,
  p: LayoutParams,
  errors: Errors,
): void {
  const others = physicalDevices(node).filter((d) => d !== boot);
  const spec = data.get('cache_device');
  if (spec) {
    const dev = others.find((d) => String(d.id) === spec.trim());
    if (!dev)
      errors.cache_device = [
        invalidChoice(
          'cache_device',
          spec,
          others.map((d) => d.id),
        ),
      ];
    p.cacheDevice = dev ?? null;
  } else {
    // `_find_best_cache_device`: the smallest non-boot physical disk tagged `ssd`.
    p.cacheDevice = [...others].sort((a, b) => a.size - b.size).find((d) => d.tags.includes('ssd')) ?? null;
  }
  const mode = data.get('cache_mode');
  if (mode) {
    if (['writeback', 'writethrough', 'writearound'].includes(mode)) p.cacheMode = mode;
    else errors.cache_mode = [choiceError(mode)];
  }
  p.cacheNoPart = djangoBool(data, 'cache_no_part', false);
  const sizeText = data.get('cache_size');
  if (sizeText && p.cacheNoPart) {
    const both = 'Cannot use cache_size and cache_no_part at the same time.';
    errors.cache_size = [both];
    errors.cache_no_part = [both];
  } else if (sizeText && p.cacheDevice) {
    p.cacheSize = sizeField(
      data,
      'cache_size',
      p.cacheDevice.size,
      MIN_BLOCK_DEVICE_SIZE,
      p.cacheDevice.size,
      errors,
    );
  }
}

function fs(
  state: SimState,
  part: SimPartition | SimBlockDevice,
  fstype: string,
  label: string,
  mountPoint: string,
) {
  part.filesystem = newFilesystem(state, fstype, { label, mountPoint });
}

/** `create_basic_layout`: EFI (UEFI, not ppc64el), an arm64 BIOS /boot, an optional /boot, then the root partition. */
function basicLayout(state: SimState, node: SimNode, p: LayoutParams, bootSize: number): SimPartition {
  const boot = bootDisk(node) as SimBlockDevice;
  boot.partitionTableType = 'GPT';
  const arch = node.architecture.split('/')[0];
  const uefi = node.biosBootMethod === 'uefi';
  if (uefi && arch !== 'ppc64el') {
    const efi = addPartition(state, node, boot, EFI_PARTITION_SIZE, { bootable: true });
    fs(state, efi, 'fat32', 'efi', '/boot/efi');
  } else if (!uefi && arch === 'arm64' && bootSize === 0) {
    const bootPart = addPartition(state, node, boot, MIN_BOOT_PARTITION_SIZE, { bootable: true });
    fs(state, bootPart, 'ext4', 'boot', '/boot');
  }
  if (bootSize > 0) {
    const bootPart = addPartition(state, node, boot, bootSize, { bootable: true });
    fs(state, bootPart, 'ext4', 'boot', '/boot');
  }
  const root = p.rootDevice;
  if (root !== boot) root.partitionTableType = 'GPT';
  return addPartition(state, node, root, p.rootSize);
}

/** The fixed ESXi partition sets (index, size, bootable); size 0 is the datastore, sized last. */
const VMFS_PARTITIONS: Record<'vmfs6' | 'vmfs7', [number, number, boolean][]> = {
  vmfs6: [
    [1, 3 * MiB, true],
    [2, 4 * GiB, false],
    [3, 0, false],
    [5, 249 * MiB, false],
    [6, 249 * MiB, false],
    [7, 109 * MiB, false],
    [8, 285 * MiB, false],
    [9, 2560 * MiB, false],
  ],
  vmfs7: [
    [1, 100 * MiB, true],
    [5, 4095 * MiB, false],
    [6, 4095 * MiB, false],
    [7, 25662832128, false],
    [8, 0, false],
  ],
};

function vmfsLayout(state: SimState, node: SimNode, p: LayoutParams, layout: 'vmfs6' | 'vmfs7'): void {
  const dev = p.rootDevice;
  dev.partitionTableType = 'GPT';
  // MAAS writes these straight into the table, past the model's alignment and minimum size.
  const parts: SimPartition[] = VMFS_PARTITIONS[layout].map(([index, size, bootable]) => ({
    id: state.nextId('partition'),
    index,
    uuid: state.rng.uuid(),
    size,
    bootable,
    filesystem: null,
    tags: [],
    vmfsBase: true,
  }));
  dev.partitions = parts;
  const datastore = parts.find((x) => x.size === 0) as SimPartition;
  datastore.size = p.rootSize ?? deviceAvailableSize(node, dev);
  createVmfs(state, node, 'datastore1', [{ dev, part: datastore }]);
}

/** Builds `layout` on a cleared machine; `allowFallback` lets bcache fall back to flat (commissioning does). */
function configure(
  state: SimState,
  node: SimNode,
  layout: StorageLayoutName,
  p: LayoutParams,
  allowFallback: boolean,
): void {
  clearStorage(node);
  switch (layout) {
    case 'blank':
      return;
    case 'custom':
      // The custom layout reads `storage-extra` from a commissioning script's output; the simulated
      // commissioning never writes one.
      throw badRequest(
        "Failed to configure storage layout 'custom': No custom storage layout configuration found",
      );
    case 'flat': {
      fs(state, basicLayout(state, node, p, p.bootSize), 'ext4', 'root', '/');
      return;
    }
    case 'lvm': {
      const root = basicLayout(state, node, p, p.bootSize);
      const vg = createVolumeGroup(state, node, p.vgName, [{ dev: p.rootDevice, part: root }]);
      const lv = createLogicalVolume(state, node, vg, p.lvName, p.lvSize ?? vgAvailable(node, vg));
      fs(state, lv, 'ext4', 'root', '/');
      return;
    }
    case 'bcache': {
      const cache = p.cacheDevice;
      if (!cache) {
        if (allowFallback) {
          configure(state, node, 'flat', p, allowFallback);
          return;
        }
        throw badRequest(
          "Failed to configure storage layout 'bcache': Node doesn't have an available cache device to setup bcache.",
        );
      }
      const root = basicLayout(state, node, p, p.bootSize || GiB);
      let cacheTarget: { dev: SimBlockDevice; part: SimPartition | null } = { dev: cache, part: null };
      if (!p.cacheNoPart) {
        cache.partitionTableType = 'GPT';
        cacheTarget = { dev: cache, part: addPartition(state, node, cache, p.cacheSize) };
      }
      const cacheSet = createCacheSet(state, node, cacheTarget);
      const bcache = createBcache(state, node, {
        name: nextGroupName(node, 'bcache'),
        cacheSet,
        cacheMode: p.cacheMode,
        backing: { dev: p.rootDevice, part: root },
      });
      const device = groupVirtualDevices(node, bcache)[0] as SimBlockDevice;
      fs(state, device, 'ext4', 'root', '/');
      return;
    }
    case 'vmfs6':
    case 'vmfs7':
      vmfsLayout(state, node, p, layout);
      return;
  }
}

/** `set_storage_layout` (no fallback): every request parameter goes to the layout's form. */
export function setStorageLayout(
  state: SimState,
  node: SimNode,
  layout: StorageLayoutName,
  data: Params,
): void {
  configure(state, node, layout, cleanParams(node, layout, data), false);
}

/**
 * `Node.set_default_storage_layout`: the default layout (`flat`) with default parameters and fallback allowed; a
 * failure is only logged, so a machine without disks simply keeps none.
 */
export function applyDefaultLayout(state: SimState, node: SimNode): void {
  if (!bootDisk(node)) {
    clearStorage(node);
    return;
  }
  configure(state, node, 'flat', cleanParams(node, 'flat', new Params()), true);
}

/** A layout with its default parameters, as the seeding gives machines that were set up before the simulation. */
export function applyLayout(state: SimState, node: SimNode, layout: StorageLayoutName): void {
  if (!bootDisk(node)) return;
  configure(state, node, layout, cleanParams(node, layout, new Params()), true);
}
