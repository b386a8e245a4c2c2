/**
 * Block devices and partitions (MAAS `maasserver/api/blockdevices.py`, `partitions.py`; forms in
 * `maasserver/forms/__init__.py` and `maasserver/forms/filesystem.py`): listing, create, update, delete, tags,
 * format / unformat / mount / unmount and `set_boot_disk`, each behind MAAS's permission and status gate.
 */
import {
  adminOnly,
  badRequest,
  choiceError,
  conflict,
  deletedResponse,
  djangoBool,
  fieldErrors,
  forbidden,
  intField,
  mandatory,
  notFound,
  type Params,
  textResponse,
} from './http.ts';
import type { SimBlockDevice, SimFilesystem, SimFormattable, SimNode } from './model.ts';
import { getNodeOr404, hasPerm, type Perm } from './perm.ts';
import { renderBlockDevice, renderPartition } from './render-storage.ts';
import type { AuthedCtx, Handler, Resource } from './router.ts';
import { S, STORAGE_ALLOCATED_OPS } from './status.ts';
import {
  addPartition,
  bootDisk,
  cacheSetName,
  effectiveFs,
  findDevice,
  findPartition,
  groupById,
  groupMembers,
  hasTable,
  isLogicalVolume,
  MIN_BLOCK_DEVICE_SIZE,
  MIN_PARTITION_SIZE,
  newFilesystem,
  niceGroupName,
  parseBytes,
  removePartition,
  type StorageTarget,
  textError,
  vgAvailable,
} from './storage-model.ts';

type Errors = Record<string, string[]>;

/** `FILESYSTEM_FORMAT_TYPE_CHOICES`. */
export const FORMAT_FSTYPES = [
  'ext2',
  'ext4',
  'xfs',
  'fat32',
  'vfat',
  'swap',
  'ramfs',
  'tmpfs',
  'btrfs',
  'zfsroot',
];
/** Types that are never mounted (`Filesystem.clean` stores `none`). */
const UNMOUNTABLE = new Set(['swap', 'lvm-pv', 'raid', 'raid-spare', 'bcache-cache', 'bcache-backing']);
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * `BlockDevice.objects.get_block_device_or_404`: the device is looked up on the node by id or name first (an unknown
 * node or device is `No BlockDevice matches the given query.`), then the user's permission on the node (403 empty).
 */
export function blockDeviceArg(ctx: AuthedCtx, perm: Perm): { n: SimNode; dev: SimBlockDevice } {
  const n = ctx.svc.state.nodes.get(ctx.args[0] ?? '');
  const dev = n ? findDevice(n, ctx.args[1] ?? '') : undefined;
  if (!n || !dev) throw notFound('No BlockDevice matches the given query.');
  if (!hasPerm(ctx.user, n, perm)) throw forbidden();
  return { n, dev };
}

/** `raise_error_for_invalid_state_on_allocated_operations` (block devices say "machine", partitions "node"). */
function allocatedGate(
  ctx: AuthedCtx,
  n: SimNode,
  operation: string,
  what: 'block device' | 'partition',
): void {
  const noun = what === 'block device' ? 'machine' : 'node';
  if (!STORAGE_ALLOCATED_OPS.has(n.status)) {
    throw conflict(`Cannot ${operation} ${what} because the ${noun} is not Ready or Allocated.`);
  }
  if (n.status === S.READY && !ctx.user.isSuperuser) {
    throw forbidden(`Cannot ${operation} ${what} because you don't have the permissions on a Ready ${noun}.`);
  }
}

// ---------------------------------------------------------------- format and mount (shared with partitions)

function cleanUuid(data: Params, errors: Errors): string | undefined {
  const uuid = data.get('uuid');
  if (uuid === undefined || uuid === '') return undefined;
  if (!UUID_RE.test(uuid.trim())) errors.uuid = ['Enter a valid UUID.'];
  return uuid.trim().toLowerCase();
}

/** `FormatBlockDeviceForm` / `FormatPartitionForm`. */
function format(ctx: AuthedCtx, n: SimNode, t: StorageTarget): void {
  const d = ctx.data;
  const errors: Errors = {};
  const fstype = d.get('fstype');
  if (!fstype) errors.fstype = ['This field is required.'];
  else if (!FORMAT_FSTYPES.includes(fstype)) errors.fstype = [choiceError(fstype)];
  const uuid = cleanUuid(d, errors);
  if (Object.keys(errors).length) throw fieldErrors(errors);
  const x: SimFormattable = t.part ?? t.dev;
  if (!t.part && hasTable(t.dev)) {
    throw fieldErrors({ __all__: ['Cannot format block device with a partition table.'] });
  }
  const current = effectiveFs(x);
  if (current && (current.groupId !== undefined || current.cacheSetId !== undefined)) {
    throw textError(
      `Cannot format a ${t.part ? 'partition' : 'block device'} that has a filesystem type of ${current.fstype}.`,
    );
  }
  if (!t.part && t.dev.id === bootDisk(n)?.id) {
    throw fieldErrors({
      __all__: [
        'Cannot place filesystem directly on the boot disk. Create a partition on the boot disk first and then ' +
          'format the partition.',
      ],
    });
  }
  if (fstype === 'ramfs' || fstype === 'tmpfs') {
    throw fieldErrors({ __all__: ['Virtual filesystems must be mounted.'] });
  }
  const fs = newFilesystem(ctx.svc.state, fstype as string, {
    ...(uuid ? { uuid } : {}),
    label: d.get('label') || null,
  });
  // On an Allocated machine the owner's filesystem is `acquired`: it wins until the machine is released.
  if (n.status === S.ALLOCATED) x.acquired = fs;
  else x.filesystem = fs;
}

/** Every mount point in use on the node (`Filesystem.clean`'s duplicate check). */
function mountedAt(n: SimNode, mountPoint: string, except: SimFilesystem): boolean {
  if (mountPoint === 'none') return false;
  for (const dev of n.blockDevices) {
    for (const x of [dev, ...dev.partitions]) {
      const fs = effectiveFs(x);
      if (fs && fs !== except && fs.mountPoint === mountPoint) return true;
    }
  }
  return n.specialFilesystems.some((f) => f.mountPoint === mountPoint);
}

/** `MountFilesystemForm`: an absolute `mount_point` (no field for swap: it mounts at `none`) and `mount_options`. */
function mount(ctx: AuthedCtx, n: SimNode, x: SimFormattable): void {
  const fs = effectiveFs(x);
  if (!fs) throw fieldErrors({ __all__: ['Cannot mount an unformatted partition or block device.'] });
  if (fs.groupId !== undefined || fs.cacheSetId !== undefined) {
    throw fieldErrors({ __all__: ['Filesystem is part of a filesystem group, and cannot be mounted.'] });
  }
  let mountPoint = 'none';
  if (fs.fstype !== 'swap') {
    const mp = ctx.data.get('mount_point');
    if (mp === undefined || mp === '') throw fieldErrors({ mount_point: ['This field is required.'] });
    if (!/^(?:\/[^/]*)*$/.test(mp) || mp.length > 4095) {
      throw fieldErrors({ mount_point: ['Enter a valid value.'] });
    }
    mountPoint = mp;
  }
  if (mountedAt(n, mountPoint, fs)) {
    throw fieldErrors({ __all__: [`Another filesystem is already mounted at ${mountPoint}.`] });
  }
  fs.mountPoint = UNMOUNTABLE.has(fs.fstype) ? 'none' : mountPoint;
  fs.mountOptions = ctx.data.get('mount_options') ?? null;
}

function unmount(x: SimFormattable, notFormatted: string): void {
  const fs = effectiveFs(x);
  if (!fs) throw badRequest(notFormatted);
  if (!fs.mountPoint) throw badRequest('Filesystem is already unmounted.');
  fs.mountPoint = null;
  fs.mountOptions = null;
}

function unformat(n: SimNode, x: SimFormattable, what: 'block device' | 'partition'): void {
  const fs = effectiveFs(x);
  if (!fs)
    throw badRequest(what === 'partition' ? 'Partition is not formatted.' : 'Block device is not formatted.');
  if (fs.mountPoint) {
    throw badRequest(
      `Filesystem is mounted and cannot be unformatted. Unmount the filesystem before unformatting the ${what}.`,
    );
  }
  const g = fs.groupId === undefined ? undefined : groupById(n, fs.groupId);
  if (g) {
    const nice = niceGroupName(g);
    throw badRequest(
      `Filesystem is part of a ${nice}, and cannot be unformatted. Remove ${what} from ${nice} before ` +
        `unformatting the ${what}.`,
    );
  }
  if (x.acquired) x.acquired = null;
  else x.filesystem = null;
}

// ---------------------------------------------------------------- block devices

/** `CreatePhysicalBlockDeviceForm`: name, size and block_size are required; model+serial or id_path identify it. */
const createBlockDevice: Handler = (ctx) => {
  if (!ctx.user.isSuperuser) throw adminOnly();
  const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'admin', 'machine');
  const d = ctx.data;
  const errors: Errors = {};
  const name = d.get('name') ?? '';
  if (name === '') errors.name = ['This field is required.'];
  const size = cleanSize(d, 'size', MIN_BLOCK_DEVICE_SIZE, undefined, errors, true);
  const blockSize = intField(d, 'block_size', errors, { min: 512, required: true });
  const model = d.get('model') ?? '';
  const serial = d.get('serial') ?? '';
  const idPath = d.get('id_path') ?? '';
  if (!idPath && !(model && serial)) {
    errors.__all__ = ['serial/model are required if id_path is not provided.'];
  }
  if (name && n.blockDevices.some((b) => b.name === name)) {
    errors.__all__ = ['Block device with this Node config and Name already exists.'];
  }
  if (Object.keys(errors).length) throw fieldErrors(errors);
  const dev: SimBlockDevice = {
    id: ctx.svc.state.nextId('blockdevice'),
    name,
    type: 'physical',
    model,
    serial,
    idPath,
    size: size as number,
    blockSize: blockSize as number,
    tags: [],
    uuid: null,
    firmwareVersion: '',
    numaNode: 0,
    partitionTableType: null,
    partitions: [],
    filesystem: null,
  };
  n.blockDevices.push(dev);
  n.blockDevices.sort((a, b) => a.id - b.id);
  return renderBlockDevice(n, dev);
};

/** A `BytesField` with bounds. */
function cleanSize(
  d: Params,
  key: string,
  min: number,
  max: number | undefined,
  errors: Errors,
  required: boolean,
): number | undefined {
  const v = d.get(key);
  if (v === undefined || v.trim() === '') {
    if (required) errors[key] = ['This field is required.'];
    return undefined;
  }
  const n = parseBytes(v);
  if (n === null) {
    errors[key] = ['Enter a valid value.'];
    return undefined;
  }
  if (n < min) errors[key] = [`Ensure this value is greater than or equal to ${min}.`];
  else if (max !== undefined && n > max) errors[key] = [`Ensure this value is less than or equal to ${max}.`];
  return n;
}

/**
 * PUT: Ready machines take every field (physical: name, model, serial, id_path, size, block_size,
 * partition_table_type; virtual: name, uuid, and size for a logical volume); Deployed ones only a physical device's
 * name, model, serial and id_path.
 */
const updateBlockDevice: Handler = (ctx) => {
  const { n, dev } = blockDeviceArg(ctx, 'admin');
  if (n.status !== S.READY && n.status !== S.DEPLOYED) {
    throw conflict('Cannot update block device because the machine is not Ready.');
  }
  const d = ctx.data;
  const errors: Errors = {};
  if (n.status === S.DEPLOYED && dev.type !== 'physical') {
    throw conflict('Cannot update virtual block device because the machine is Deployed.');
  }
  const name = d.get('name');
  if (name !== undefined && name !== dev.name && n.blockDevices.some((b) => b !== dev && b.name === name)) {
    errors.__all__ = ['Block device with this Node config and Name already exists.'];
  }
  if (dev.type === 'physical') {
    const ready = n.status === S.READY;
    const size = ready ? cleanSize(d, 'size', MIN_BLOCK_DEVICE_SIZE, undefined, errors, false) : undefined;
    const blockSize = ready ? intField(d, 'block_size', errors, { min: 512 }) : undefined;
    const ptable = ready ? d.get('partition_table_type') : undefined;
    if (ptable !== undefined && ptable !== '') {
      if (!hasTable(dev)) errors.partition_table_type = ['Block device has no partition table'];
      else if (ptable !== 'GPT' && ptable !== 'MBR') errors.partition_table_type = [choiceError(ptable)];
    }
    if (Object.keys(errors).length) throw fieldErrors(errors);
    if (name) dev.name = name;
    for (const [key, field] of [
      ['model', 'model'],
      ['serial', 'serial'],
      ['id_path', 'idPath'],
    ] as const) {
      if (d.has(key)) dev[field] = d.get(key) ?? '';
    }
    if (size !== undefined) dev.size = size;
    if (blockSize !== undefined) dev.blockSize = blockSize;
    if (ptable === 'GPT' || ptable === 'MBR') dev.partitionTableType = ptable;
    return renderBlockDevice(n, dev);
  }
  const lv = isLogicalVolume(n, dev);
  let size: number | undefined;
  if (lv) {
    const g = dev.groupId === undefined ? undefined : groupById(n, dev.groupId);
    const max = g ? vgAvailable(n, g) + dev.size : dev.size;
    size = cleanSize(d, 'size', MIN_PARTITION_SIZE, max, errors, false);
  }
  const uuid = cleanUuid(d, errors);
  if (Object.keys(errors).length) throw fieldErrors(errors);
  if (name) {
    dev.name = name;
    const g = dev.groupId === undefined ? undefined : groupById(n, dev.groupId);
    if (g && !lv) g.name = name;
  }
  if (uuid) dev.uuid = uuid;
  if (size !== undefined) dev.size = Math.floor(size / MIN_PARTITION_SIZE) * MIN_PARTITION_SIZE;
  return renderBlockDevice(n, dev);
};

function groupUsing(n: SimNode, x: SimFormattable) {
  const fs = effectiveFs(x);
  return fs?.groupId === undefined ? undefined : groupById(n, fs.groupId);
}

/** DELETE (Ready only): a physical device with what is on it, a logical volume, or a RAID's / bcache's device. */
const deleteBlockDevice: Handler = (ctx) => {
  const { n, dev } = blockDeviceArg(ctx, 'admin');
  if (n.status !== S.READY) throw conflict('Cannot delete block device because the machine is not Ready.');
  for (const x of [dev, ...dev.partitions]) {
    const g = groupUsing(n, x);
    if (g) throw textError(`Cannot delete block device because its part of a ${niceGroupName(g)}.`);
  }
  const g = dev.groupId === undefined ? undefined : groupById(n, dev.groupId);
  if (g && g.type !== 'lvm-vg') {
    // A RAID's or bcache's device goes with its group; the members are free again.
    for (const m of groupMembers(n, g)) {
      const x = m.part ?? m.dev;
      if (x.acquired?.groupId === g.id) x.acquired = null;
      if (x.filesystem?.groupId === g.id) x.filesystem = null;
    }
    n.groups = n.groups.filter((o) => o !== g);
  }
  n.blockDevices = n.blockDevices.filter((b) => b !== dev);
  if (n.bootDiskId === dev.id) n.bootDiskId = null;
  return deletedResponse();
};

function blockTag(add: boolean): Handler {
  return (ctx) => {
    const { n, dev } = blockDeviceArg(ctx, 'admin');
    if (n.status !== S.READY) throw conflict('Cannot update block device because the machine is not Ready.');
    const tag = mandatory(ctx.form, 'tag');
    dev.tags = add
      ? dev.tags.includes(tag)
        ? dev.tags
        : [...dev.tags, tag]
      : dev.tags.filter((t) => t !== tag);
    return renderBlockDevice(n, dev);
  };
}

/** `set_boot_disk` (200 `OK` as text), then `Node.clean_boot_disk`. */
const setBootDisk: Handler = (ctx) => {
  const { n, dev } = blockDeviceArg(ctx, 'admin');
  if (n.status !== S.READY) throw conflict('Cannot set as boot disk because the machine is not Ready.');
  if (dev.type !== 'physical') throw badRequest(`Cannot set a ${dev.type} block device as the boot disk.`);
  const fs = effectiveFs(dev);
  if (fs?.groupId !== undefined) {
    const g = groupById(n, fs.groupId);
    if (g)
      throw fieldErrors({
        boot_disk: [`Cannot be set as the boot disk; already in-use in ${groupInUse(g)}.`],
      });
  }
  if (fs?.cacheSetId !== undefined) {
    const cs = n.cacheSets.find((c) => c.id === fs.cacheSetId);
    if (cs) {
      throw fieldErrors({
        boot_disk: [`Cannot be set as the boot disk; already in-use in cache set '${cacheSetName(n, cs)}'.`],
      });
    }
  }
  // A filesystem straight on the new boot disk is dropped (a boot disk must be partitioned).
  if (fs) {
    dev.filesystem = null;
    dev.acquired = null;
  }
  n.bootDiskId = dev.id;
  return textResponse('OK');
};

function groupInUse(g: { type: string; name: string }): string {
  if (g.type === 'lvm-vg') return `volume group '${g.name}'`;
  if (g.type === 'bcache') return `Bcache '${g.name}'`;
  if (g.type.startsWith('raid-')) return `RAID '${g.name}'`;
  return `VMFS '${g.name}'`;
}

function deviceOp(op: 'format' | 'unformat' | 'mount' | 'unmount'): Handler {
  return (ctx) => {
    const { n, dev } = blockDeviceArg(ctx, 'edit');
    allocatedGate(ctx, n, op, 'block device');
    const t = { dev, part: null };
    if (op === 'format') format(ctx, n, t);
    else if (op === 'unformat') unformat(n, dev, 'block device');
    else if (op === 'mount') mount(ctx, n, dev);
    else unmount(dev, 'Block device is not formatted.');
    return renderBlockDevice(n, dev);
  };
}

// ---------------------------------------------------------------- partitions

/** A partition on the device (by id or `<device>-part<n>`); MAAS answers a bare 404 when it is not there. */
function partitionArg(
  ctx: AuthedCtx,
  n: SimNode,
  dev: SimBlockDevice,
): StorageTarget & { part: NonNullable<StorageTarget['part']> } {
  const t = findPartition(n, ctx.args[2] ?? '');
  if (!t?.part || t.dev !== dev) throw notFound('');
  return { dev: t.dev, part: t.part };
}

/** `AddPartitionForm`: `size` (bytes, SI suffixes; all free space if omitted), `uuid`, `bootable`. */
const createPartition: Handler = (ctx) => {
  const { n, dev } = blockDeviceArg(ctx, 'admin');
  if (n.status !== S.READY) throw conflict('Cannot create partition because the node is not Ready.');
  const errors: Errors = {};
  const size = cleanSize(ctx.data, 'size', MIN_PARTITION_SIZE, dev.size, errors, false);
  const uuid = cleanUuid(ctx.data, errors);
  if (Object.keys(errors).length) throw fieldErrors(errors);
  if (isLogicalVolume(n, dev)) {
    throw fieldErrors({ block_device: ['Cannot create a partition table on a logical volume.'] });
  }
  const g = dev.groupId === undefined ? undefined : groupById(n, dev.groupId);
  if (g?.type === 'bcache') {
    throw fieldErrors({ block_device: ['Cannot create a partition table on a Bcache volume.'] });
  }
  const part = addPartition(ctx.svc.state, n, dev, size ?? null, {
    bootable: djangoBool(ctx.data, 'bootable', false),
    ...(uuid ? { uuid } : {}),
  });
  return renderPartition(n, dev, part);
};

const deletePartition: Handler = (ctx) => {
  const { n, dev } = blockDeviceArg(ctx, 'admin');
  if (!hasTable(dev)) throw notFound('No PartitionTable matches the given query.');
  // MAAS's text says "block device" here.
  if (n.status !== S.READY) throw conflict('Cannot delete block device because the node is not Ready.');
  const { part } = partitionArg(ctx, n, dev);
  const g = groupUsing(n, part);
  if (g) throw textError(`Cannot delete partition because its part of a ${niceGroupName(g)}.`);
  const fs = effectiveFs(part);
  if (fs?.cacheSetId !== undefined) {
    const used = n.groups.some((o) => o.cacheSetId === fs.cacheSetId);
    if (used) throw textError('Cannot delete partition because its part of a Bcache.');
    n.cacheSets = n.cacheSets.filter((c) => c.id !== fs.cacheSetId);
  }
  if (part.vmfsBase) {
    throw textError(
      'VMware ESXi partitions may not be removed. To remove select a different storage layout.',
    );
  }
  removePartition(dev, part);
  return deletedResponse();
};

function partitionOp(op: 'format' | 'unformat' | 'mount' | 'unmount'): Handler {
  return (ctx) => {
    const { n, dev } = blockDeviceArg(ctx, 'edit');
    const t = partitionArg(ctx, n, dev);
    allocatedGate(ctx, n, op, 'partition');
    if (op === 'format') format(ctx, n, t);
    else if (op === 'unformat') unformat(n, t.part, 'partition');
    else if (op === 'mount') mount(ctx, n, t.part);
    else unmount(t.part, 'Partition is not formatted.');
    return renderPartition(n, dev, t.part);
  };
}

function partitionTag(add: boolean): Handler {
  return (ctx) => {
    const { n, dev } = blockDeviceArg(ctx, 'admin');
    const { part } = partitionArg(ctx, n, dev);
    const tag = mandatory(ctx.form, 'tag');
    part.tags = add
      ? part.tags.includes(tag)
        ? part.tags
        : [...part.tags, tag]
      : part.tags.filter((t) => t !== tag);
    return renderPartition(n, dev, part);
  };
}

export const blockDeviceResources: Resource[] = [
  {
    name: 'BlockDevicesHandler',
    pattern: /^nodes\/([^/]+)\/blockdevices\/$/,
    handlers: {
      GET: (ctx) => {
        const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'view', 'machine');
        return n.blockDevices.map((d) => renderBlockDevice(n, d));
      },
      POST: createBlockDevice,
    },
  },
  {
    name: 'BlockDeviceHandler',
    pattern: /^nodes\/([^/]+)\/blockdevices\/([^/]+)\/$/,
    handlers: {
      GET: (ctx) => {
        const { n, dev } = blockDeviceArg(ctx, 'view');
        return renderBlockDevice(n, dev);
      },
      PUT: updateBlockDevice,
      DELETE: deleteBlockDevice,
      'POST format': deviceOp('format'),
      'POST unformat': deviceOp('unformat'),
      'POST mount': deviceOp('mount'),
      'POST unmount': deviceOp('unmount'),
      'POST set_boot_disk': setBootDisk,
      'POST add_tag': blockTag(true),
      'POST remove_tag': blockTag(false),
    },
  },
  {
    name: 'PartitionsHandler',
    pattern: /^nodes\/([^/]+)\/blockdevices\/([^/]+)\/partitions\/$/,
    handlers: {
      GET: (ctx) => {
        const { n, dev } = blockDeviceArg(ctx, 'view');
        return dev.partitions.map((p) => renderPartition(n, dev, p));
      },
      POST: createPartition,
    },
  },
  {
    // No trailing slash (MAAS `urls_api.py`); both `partition/` and `partitions/` reach it.
    name: 'PartitionHandler',
    pattern: /^nodes\/([^/]+)\/blockdevices\/([^/]+)\/partitions?\/([^/]+)$/,
    handlers: {
      GET: (ctx) => {
        const { n, dev } = blockDeviceArg(ctx, 'view');
        return renderPartition(n, dev, partitionArg(ctx, n, dev).part);
      },
      DELETE: deletePartition,
      'POST format': partitionOp('format'),
      'POST unformat': partitionOp('unformat'),
      'POST mount': partitionOp('mount'),
      'POST unmount': partitionOp('unmount'),
      'POST add_tag': partitionTag(true),
      'POST remove_tag': partitionTag(false),
    },
  },
];
