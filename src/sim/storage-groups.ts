/**
 * Volume groups and logical volumes, RAIDs, bcache cache sets and bcaches (MAAS `maasserver/api/volume_groups.py`,
 * `raid.py`, `bcache_cacheset.py`, `bcache.py`; forms in `maasserver/forms/__init__.py`; rules in
 * `maasserver/models/filesystemgroup.py`). Every write needs admin on a Ready machine. The builders are also what the
 * storage layouts use.
 */
import {
  badRequest,
  choiceError,
  conflict,
  deletedResponse,
  fieldErrors,
  forbidden,
  mandatory,
  notFound,
  type Params,
} from './http.ts';
import type { SimBlockDevice, SimCacheSet, SimFsGroup, SimGroupType, SimNode, SimState } from './model.ts';
import { getNodeOr404, hasPerm, type Perm } from './perm.ts';
import {
  renderBcache,
  renderBlockDevice,
  renderCacheSet,
  renderRaid,
  renderVolumeGroup,
} from './render-storage.ts';
import type { AuthedCtx, Handler, Resource } from './router.ts';
import { S } from './status.ts';
import {
  alignDown,
  allTargets,
  asMemberTarget,
  bootDisk,
  cacheSetName,
  effectiveFs,
  findDevice,
  findPartition,
  fullSizePartition,
  groupMembers,
  groupSize,
  groupVirtualDevices,
  isFreeDevice,
  isFreePartition,
  isLogicalVolume,
  isRaid,
  MIN_PARTITION_SIZE,
  newFilesystem,
  parseBytes,
  refreshGroupDevice,
  type StorageTarget,
  targetOf,
  textError,
  vgAvailable,
} from './storage-model.ts';

type Errors = Record<string, string[]>;

// ---------------------------------------------------------------- builders (shared with the layouts)

function attach(state: SimState, t: StorageTarget, fstype: string, groupId: number): void {
  const x = targetOf(t);
  const fs = newFilesystem(state, fstype, { groupId });
  if (x.acquired) x.acquired = fs;
  else x.filesystem = fs;
}

function detach(t: StorageTarget, groupId: number): void {
  const x = targetOf(t);
  if (x.acquired?.groupId === groupId) x.acquired = null;
  if (x.filesystem?.groupId === groupId) x.filesystem = null;
}

function newGroup(
  state: SimState,
  node: SimNode,
  type: SimGroupType,
  name: string,
  uuid?: string,
): SimFsGroup {
  const g: SimFsGroup = {
    id: state.nextId('fsgroup'),
    uuid: uuid || state.rng.uuid(),
    name,
    type,
    cacheMode: null,
    cacheSetId: null,
  };
  node.groups.push(g);
  return g;
}

/** The one virtual device of a RAID, bcache or VMFS datastore (`VirtualBlockDevice.objects.create_or_update_for`). */
function addGroupDevice(state: SimState, node: SimNode, g: SimFsGroup, blockSize: number): SimBlockDevice {
  const dev: SimBlockDevice = {
    id: state.nextId('blockdevice'),
    name: g.name,
    type: 'virtual',
    model: '',
    serial: '',
    idPath: '',
    size: 0,
    blockSize,
    tags: [],
    uuid: g.uuid,
    firmwareVersion: '',
    numaNode: 0,
    partitionTableType: null,
    partitions: [],
    filesystem: null,
    groupId: g.id,
  };
  node.blockDevices.push(dev);
  refreshGroupDevice(node, g);
  return dev;
}

export function createVolumeGroup(
  state: SimState,
  node: SimNode,
  name: string,
  members: StorageTarget[],
  uuid?: string,
): SimFsGroup {
  const g = newGroup(state, node, 'lvm-vg', name, uuid);
  for (const m of members) attach(state, m, 'lvm-pv', g.id);
  return g;
}

/** `VolumeGroup.create_logical_volume`: all the free space when no size is given. */
export function createLogicalVolume(
  state: SimState,
  node: SimNode,
  vg: SimFsGroup,
  name: string,
  size: number | null,
  uuid?: string,
): SimBlockDevice {
  const lv: SimBlockDevice = {
    id: state.nextId('blockdevice'),
    name,
    type: 'virtual',
    model: '',
    serial: '',
    idPath: '',
    size: alignDown(size ?? vgAvailable(node, vg)),
    blockSize: 4096,
    tags: [],
    uuid: uuid || state.rng.uuid(),
    firmwareVersion: '',
    numaNode: 0,
    partitionTableType: null,
    partitions: [],
    filesystem: null,
    groupId: vg.id,
  };
  node.blockDevices.push(lv);
  return lv;
}

const RAID_MINIMUM: Record<string, [number, string]> = {
  'raid-0': [2, 'RAID level 0 must have at least 2 raid devices and no spares.'],
  'raid-1': [2, 'RAID level 1 must have at least 2 raid devices and any number of spares.'],
  'raid-5': [3, 'RAID level 5 must have at least 3 raid devices and any number of spares.'],
  'raid-6': [4, 'RAID level 6 must have at least 4 raid devices and any number of spares.'],
  'raid-10': [3, 'RAID level 10 must have at least 3 raid devices and any number of spares.'],
};

/** `FilesystemGroup._validate_raid`, as `{"__all__": [...]}`. */
function validateRaid(node: SimNode, g: SimFsGroup): void {
  const members = groupMembers(node, g);
  const active = members.filter((m) => m.fs.fstype === 'raid').length;
  const spares = members.length - active;
  const [min, message] = RAID_MINIMUM[g.type] ?? [0, ''];
  if (active < min || (g.type === 'raid-0' && spares !== 0)) throw fieldErrors({ __all__: [message] });
}

export function createRaid(
  state: SimState,
  node: SimNode,
  opts: {
    name: string;
    level: SimGroupType;
    uuid?: string;
    active: StorageTarget[];
    spares: StorageTarget[];
  },
): SimFsGroup {
  const g = newGroup(state, node, opts.level, opts.name, opts.uuid);
  for (const m of opts.active) attach(state, m, 'raid', g.id);
  for (const m of opts.spares) attach(state, m, 'raid-spare', g.id);
  validateRaid(node, g);
  addGroupDevice(state, node, g, 512);
  return g;
}

export function createCacheSet(state: SimState, node: SimNode, t: StorageTarget): SimCacheSet {
  const cs: SimCacheSet = { id: state.nextId('cacheset') };
  node.cacheSets.push(cs);
  const x = targetOf(t);
  x.filesystem = newFilesystem(state, 'bcache-cache', { cacheSetId: cs.id });
  return cs;
}

export function createBcache(
  state: SimState,
  node: SimNode,
  opts: { name: string; uuid?: string; cacheSet: SimCacheSet; cacheMode: string; backing: StorageTarget },
): SimFsGroup {
  const g = newGroup(state, node, 'bcache', opts.name, opts.uuid);
  g.cacheMode = opts.cacheMode;
  g.cacheSetId = opts.cacheSet.id;
  attach(state, opts.backing, 'bcache-backing', g.id);
  addGroupDevice(state, node, g, opts.backing.dev.blockSize);
  return g;
}

/** VMFS datastore of the ESXi layouts: its device carries a `vmfs6` filesystem at `/vmfs/volumes/<name>`. */
export function createVmfs(state: SimState, node: SimNode, name: string, parts: StorageTarget[]): SimFsGroup {
  const g = newGroup(state, node, 'vmfs6', name);
  for (const p of parts) attach(state, p, 'vmfs6', g.id);
  const dev = addGroupDevice(state, node, g, 1024);
  dev.filesystem = newFilesystem(state, 'vmfs6', { mountPoint: `/vmfs/volumes/${name}` });
  return g;
}

/** Removes a group, its virtual devices and its members' filesystems. */
function dropGroup(node: SimNode, g: SimFsGroup): void {
  for (const m of groupMembers(node, g)) detach(m, g.id);
  node.blockDevices = node.blockDevices.filter((d) => d.groupId !== g.id);
  node.groups = node.groups.filter((o) => o !== g);
}

// ---------------------------------------------------------------- form fields

/**
 * A multiple-choice field over devices (or partitions) given by id or name; the choices are the free ones. MAAS
 * reports the first value that is not a choice.
 */
function devicesField(
  node: SimNode,
  data: Params,
  key: string,
  kind: 'device' | 'partition',
  allowed: (t: StorageTarget) => boolean,
  errors: Errors,
): StorageTarget[] {
  const out: StorageTarget[] = [];
  for (const v of data.getAll(key)) {
    if (v === '') continue;
    const t = kind === 'device' ? deviceTarget(node, v) : findPartition(node, v);
    if (!t || !allowed(t)) {
      errors[key] = [choiceError(v)];
      return [];
    }
    if (!out.some((o) => o.dev === t.dev && o.part === t.part)) out.push(t);
  }
  return out;
}

function deviceTarget(node: SimNode, spec: string): StorageTarget | undefined {
  const dev = findDevice(node, spec);
  return dev ? { dev, part: null } : undefined;
}

const freeDevice = (t: StorageTarget) => t.part === null && isFreeDevice(t.dev);
const freePartition = (t: StorageTarget) => t.part !== null && isFreePartition(t.part);

function requiredName(data: Params, errors: Errors): string {
  const name = data.get('name');
  if (name === undefined) errors.name = ['This field is required.'];
  return name ?? '';
}

/** `name` as the filesystem-group forms take it: optional in the form, but the model refuses a blank one. */
function blankableName(data: Params, errors: Errors): string {
  const name = data.get('name') ?? '';
  if (name.trim() === '') errors.name = ['This field cannot be blank.'];
  return name;
}

// ---------------------------------------------------------------- lookups and gates

/** The machine, with `perm` (403 empty), and Ready for writes (409 with MAAS's text). */
function machineFor(ctx: AuthedCtx, perm: Perm, readyFor?: string): SimNode {
  const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', perm, 'machine');
  if (readyFor && n.status !== S.READY)
    throw conflict(`Cannot ${readyFor} because the machine is not Ready.`);
  return n;
}

/** `BaseFilesystemGroupManager.get_object_or_404`: the group by id or name, then the permission. */
function groupArg(
  ctx: AuthedCtx,
  perm: Perm,
  model: 'VolumeGroup' | 'RAID' | 'Bcache',
  keep: (g: SimFsGroup) => boolean,
): { n: SimNode; g: SimFsGroup } {
  const n = ctx.svc.state.nodes.get(ctx.args[0] ?? '');
  const spec = ctx.args[1] ?? '';
  const g = n?.groups.find((o) => keep(o) && (String(o.id) === spec || o.name === spec));
  if (!n || !g) throw notFound(`No ${model} matches the given query.`);
  if (!hasPerm(ctx.user, n, perm)) throw forbidden();
  return { n, g };
}

function readyFor(n: SimNode, action: string, noun: 'machine' | 'node' = 'machine'): void {
  if (n.status !== S.READY) throw conflict(`Cannot ${action} because the ${noun} is not Ready.`);
}

// ---------------------------------------------------------------- volume groups

const isVg = (g: SimFsGroup) => g.type === 'lvm-vg';

/** `CreateVolumeGroupForm`. */
const createVg: Handler = (ctx) => {
  const n = machineFor(ctx, 'admin', 'create volume group');
  const d = ctx.data;
  const errors: Errors = {};
  const name = requiredName(d, errors);
  const devices = devicesField(
    n,
    d,
    'block_devices',
    'device',
    (t) => freeDevice(t) && !isLogicalVolume(n, t.dev),
    errors,
  );
  const parts = devicesField(n, d, 'partitions', 'partition', freePartition, errors);
  if (Object.keys(errors).length) throw fieldErrors(errors);
  if (devices.length + parts.length === 0) {
    throw fieldErrors({ __all__: ['At least one valid block device or partition is required.'] });
  }
  const { state } = ctx.svc;
  const members = [...devices.map((t) => asMemberTarget(state, n, t.dev)), ...parts];
  return renderVolumeGroup(n, createVolumeGroup(state, n, name, members, d.get('uuid') || undefined));
};

/** `UpdateVolumeGroupForm`: rename, and add or remove PVs; never below its logical volumes. */
const updateVg: Handler = (ctx) => {
  const { n, g } = groupArg(ctx, 'admin', 'VolumeGroup', isVg);
  readyFor(n, 'update volume group');
  const d = ctx.data;
  const errors: Errors = {};
  const member = (t: StorageTarget) => effectiveFs(targetOf(t))?.groupId === g.id;
  const add = devicesField(
    n,
    d,
    'add_block_devices',
    'device',
    (t) => freeDevice(t) && !isLogicalVolume(n, t.dev),
    errors,
  );
  const remove = devicesField(n, d, 'remove_block_devices', 'device', member, errors);
  const addParts = devicesField(n, d, 'add_partitions', 'partition', freePartition, errors);
  const removeParts = devicesField(n, d, 'remove_partitions', 'partition', member, errors);
  if (Object.keys(errors).length) throw fieldErrors(errors);
  const { state } = ctx.svc;
  if (d.get('name')) g.name = d.get('name') as string;
  if (d.get('uuid')) g.uuid = d.get('uuid') as string;
  for (const t of [...remove, ...removeParts]) detach(t, g.id);
  for (const t of [...add.map((x) => asMemberTarget(state, n, x.dev)), ...addParts])
    attach(state, t, 'lvm-pv', g.id);
  // `FilesystemGroup.save` raises this directly (not from `clean`), so it is a plain-text 400.
  const lvTotal = groupVirtualDevices(n, g).reduce((sum, lv) => sum + lv.size, 0);
  if (lvTotal > groupSize(n, g)) throw textError('Volume group cannot be smaller than its logical volumes.');
  return renderVolumeGroup(n, g);
};

const deleteVg: Handler = (ctx) => {
  const { n, g } = groupArg(ctx, 'admin', 'VolumeGroup', isVg);
  readyFor(n, 'delete volume group');
  if (groupVirtualDevices(n, g).length > 0) {
    throw textError('This volume group has logical volumes; it cannot be deleted.');
  }
  dropGroup(n, g);
  return deletedResponse();
};

/** `CreateLogicalVolumeForm`: the new LV comes back as a block device. */
const createLv: Handler = (ctx) => {
  const { n, g } = groupArg(ctx, 'admin', 'VolumeGroup', isVg);
  readyFor(n, 'create logical volume');
  const d = ctx.data;
  const free = vgAvailable(n, g);
  if (free < MIN_PARTITION_SIZE) {
    throw fieldErrors({
      __all__: [
        `Volume group (${g.name}) cannot hold any more logical volumes, because it doesn't have enough free space.`,
      ],
    });
  }
  const errors: Errors = {};
  const name = requiredName(d, errors);
  let size: number | null = null;
  const sizeText = d.get('size');
  if (sizeText !== undefined && sizeText.trim() !== '') {
    const parsed = parseBytes(sizeText);
    if (parsed === null) errors.size = ['Enter a valid value.'];
    else if (parsed < MIN_PARTITION_SIZE)
      errors.size = [`Ensure this value is greater than or equal to ${MIN_PARTITION_SIZE}.`];
    else if (parsed > free) errors.size = [`Ensure this value is less than or equal to ${free}.`];
    else size = parsed;
  }
  if (Object.keys(errors).length) throw fieldErrors(errors);
  const lv = createLogicalVolume(ctx.svc.state, n, g, name, size, d.get('uuid') || undefined);
  return renderBlockDevice(n, lv);
};

/** `delete_logical_volume`: `id` is required; an id that is not one of the VG's LVs still answers 204. */
const deleteLv: Handler = (ctx) => {
  const { n, g } = groupArg(ctx, 'admin', 'VolumeGroup', isVg);
  readyFor(n, 'delete logical volume');
  const id = mandatory(ctx.data, 'id');
  n.blockDevices = n.blockDevices.filter((b) => !(b.groupId === g.id && String(b.id) === id.trim()));
  return deletedResponse();
};

// ---------------------------------------------------------------- RAIDs

const RAID_LEVELS = ['raid-0', 'raid-1', 'raid-5', 'raid-6', 'raid-10'];

/** Devices a RAID may use: any free device. */
const raidDevice = freeDevice;

/**
 * `CreateRaidForm`. With the boot disk among the devices or spares, every listed device and spare becomes one
 * full-size partition and the RAID is built on those.
 */
const createRaidHandler: Handler = (ctx) => {
  const n = machineFor(ctx, 'admin', 'create RAID');
  const d = ctx.data;
  const errors: Errors = {};
  const name = blankableName(d, errors);
  const level = d.get('level');
  if (!level) errors.level = ['This field is required.'];
  else if (!RAID_LEVELS.includes(level)) errors.level = [choiceError(level)];
  const devices = devicesField(n, d, 'block_devices', 'device', raidDevice, errors);
  const parts = devicesField(n, d, 'partitions', 'partition', freePartition, errors);
  const spareDevices = devicesField(n, d, 'spare_devices', 'device', raidDevice, errors);
  const spareParts = devicesField(n, d, 'spare_partitions', 'partition', freePartition, errors);
  const given = ['block_devices', 'partitions', 'spare_devices', 'spare_partitions'].some(
    (k) => d.getAll(k).length,
  );
  if (!given) {
    errors.__all__ = ['At least one block device or partition must be added to the array.'];
  }
  if (Object.keys(errors).length) throw fieldErrors(errors);
  const { state } = ctx.svc;
  const boot = bootDisk(n);
  const onBoot = [...devices, ...spareDevices].some((t) => t.dev.id === boot?.id);
  const toTarget = (t: StorageTarget): StorageTarget =>
    onBoot ? { dev: t.dev, part: fullSizePartition(state, n, t.dev) } : t;
  const g = createRaid(state, n, {
    name,
    level: level as SimGroupType,
    ...(d.get('uuid') ? { uuid: d.get('uuid') as string } : {}),
    active: [...devices.map(toTarget), ...parts],
    spares: [...spareDevices.map(toTarget), ...spareParts],
  });
  return renderRaid(n, g);
};

const updateRaid: Handler = (ctx) => {
  const { n, g } = groupArg(ctx, 'admin', 'RAID', isRaid);
  readyFor(n, 'update RAID');
  const d = ctx.data;
  const errors: Errors = {};
  const member = (t: StorageTarget) => effectiveFs(targetOf(t))?.groupId === g.id;
  const lists = {
    add_block_devices: devicesField(n, d, 'add_block_devices', 'device', raidDevice, errors),
    add_partitions: devicesField(n, d, 'add_partitions', 'partition', freePartition, errors),
    add_spare_devices: devicesField(n, d, 'add_spare_devices', 'device', raidDevice, errors),
    add_spare_partitions: devicesField(n, d, 'add_spare_partitions', 'partition', freePartition, errors),
    remove_block_devices: devicesField(n, d, 'remove_block_devices', 'device', member, errors),
    remove_partitions: devicesField(n, d, 'remove_partitions', 'partition', member, errors),
    remove_spare_devices: devicesField(n, d, 'remove_spare_devices', 'device', member, errors),
    remove_spare_partitions: devicesField(n, d, 'remove_spare_partitions', 'partition', member, errors),
  };
  if (Object.keys(errors).length) throw fieldErrors(errors);
  const { state } = ctx.svc;
  if (d.get('name')) g.name = d.get('name') as string;
  if (d.get('uuid')) g.uuid = d.get('uuid') as string;
  for (const t of [...lists.remove_block_devices, ...lists.remove_partitions]) detach(t, g.id);
  for (const t of [...lists.remove_spare_devices, ...lists.remove_spare_partitions]) detach(t, g.id);
  for (const t of [...lists.add_block_devices, ...lists.add_partitions]) attach(state, t, 'raid', g.id);
  for (const t of [...lists.add_spare_devices, ...lists.add_spare_partitions])
    attach(state, t, 'raid-spare', g.id);
  // Below the level's minimum the request is refused and, being one transaction, nothing above stays.
  validateRaid(n, g);
  for (const dev of groupVirtualDevices(n, g)) if (d.get('name')) dev.name = g.name;
  refreshGroupDevice(n, g);
  return renderRaid(n, g);
};

const deleteRaid: Handler = (ctx) => {
  const { n, g } = groupArg(ctx, 'admin', 'RAID', isRaid);
  readyFor(n, 'delete RAID');
  dropGroup(n, g);
  return deletedResponse();
};

// ---------------------------------------------------------------- bcache cache sets

const CACHE_MODES = ['writeback', 'writethrough', 'writearound'];

/** `get_cache_set_or_404`: by id or `cache<N>`; a bare 404 when absent. */
function cacheSetArg(ctx: AuthedCtx, perm: Perm): { n: SimNode; cs: SimCacheSet } {
  const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', perm, 'node');
  const cs = findCacheSet(n, ctx.args[1] ?? '');
  if (!cs) throw notFound('');
  return { n, cs };
}

function findCacheSet(n: SimNode, spec: string): SimCacheSet | undefined {
  return n.cacheSets.find((c) => String(c.id) === spec || cacheSetName(n, c) === spec);
}

/** Exactly one of `cache_device` / `cache_partition`; the boot disk becomes one full-size partition. */
function cacheTarget(ctx: AuthedCtx, n: SimNode, required: boolean): StorageTarget | null {
  const d = ctx.data;
  const errors: Errors = {};
  const devices = devicesField(n, d, 'cache_device', 'device', freeDevice, errors);
  const parts = devicesField(n, d, 'cache_partition', 'partition', freePartition, errors);
  if (Object.keys(errors).length) throw fieldErrors(errors);
  if (devices.length && parts.length) {
    throw fieldErrors({ __all__: ['Cannot set both cache_device and cache_partition.'] });
  }
  if (!devices.length && !parts.length) {
    if (!required) return null;
    throw fieldErrors({ __all__: ['Either cache_device or cache_partition must be specified.'] });
  }
  const dev = devices[0];
  return dev ? asMemberTarget(ctx.svc.state, n, dev.dev) : (parts[0] as StorageTarget);
}

const createCacheSetHandler: Handler = (ctx) => {
  const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'admin', 'node');
  readyFor(n, 'create cache set', 'node');
  const t = cacheTarget(ctx, n, true) as StorageTarget;
  return renderCacheSet(n, createCacheSet(ctx.svc.state, n, t));
};

const updateCacheSet: Handler = (ctx) => {
  const { n, cs } = cacheSetArg(ctx, 'admin');
  readyFor(n, 'update cache set', 'node');
  const t = cacheTarget(ctx, n, false);
  if (t) {
    for (const old of allTargets(n)) {
      const x = targetOf(old);
      if (x.filesystem?.cacheSetId === cs.id) x.filesystem = null;
    }
    targetOf(t).filesystem = newFilesystem(ctx.svc.state, 'bcache-cache', { cacheSetId: cs.id });
  }
  return renderCacheSet(n, cs);
};

const deleteCacheSet: Handler = (ctx) => {
  const { n, cs } = cacheSetArg(ctx, 'admin');
  readyFor(n, 'delete cache set', 'node');
  if (n.groups.some((g) => g.cacheSetId === cs.id))
    throw badRequest("Cannot delete cache set; it's currently in use.");
  for (const t of allTargets(n)) {
    const x = targetOf(t);
    if (x.filesystem?.cacheSetId === cs.id) x.filesystem = null;
  }
  n.cacheSets = n.cacheSets.filter((c) => c !== cs);
  return deletedResponse();
};

// ---------------------------------------------------------------- bcaches

const isBcache = (g: SimFsGroup) => g.type === 'bcache';

/** `CreateBcacheForm` + `BcacheManager.validate_bcache_creation_parameters` + `FilesystemGroup._validate_bcache`. */
const createBcacheHandler: Handler = (ctx) => {
  const n = machineFor(ctx, 'admin', 'create Bcache');
  const d = ctx.data;
  const errors: Errors = {};
  const name = blankableName(d, errors);
  const csSpec = d.get('cache_set');
  const cacheSet = csSpec ? findCacheSet(n, csSpec) : undefined;
  if (!csSpec) errors.cache_set = ['This field is required.'];
  else if (!cacheSet) errors.cache_set = [choiceError(csSpec)];
  const mode = d.get('cache_mode');
  if (!mode) errors.cache_mode = ['This field is required.'];
  else if (!CACHE_MODES.includes(mode)) errors.cache_mode = [choiceError(mode)];
  const devices = devicesField(n, d, 'backing_device', 'device', freeDevice, errors);
  const parts = devicesField(n, d, 'backing_partition', 'partition', freePartition, errors);
  if (Object.keys(errors).length) throw fieldErrors(errors);
  if (devices.length && parts.length) {
    throw fieldErrors({ __all__: ['A Bcache can have either a backing device or partition.'] });
  }
  if (!devices.length && !parts.length) {
    throw fieldErrors({ __all__: ['Either backing_device or backing_partition must be specified.'] });
  }
  const dev = devices[0];
  if (dev && isLogicalVolume(n, dev.dev)) {
    throw fieldErrors({ __all__: ['Bcache cannot use a logical volume as a backing device.'] });
  }
  const { state } = ctx.svc;
  const backing = dev ? asMemberTarget(state, n, dev.dev) : (parts[0] as StorageTarget);
  const g = createBcache(state, n, {
    name,
    ...(d.get('uuid') ? { uuid: d.get('uuid') as string } : {}),
    cacheSet: cacheSet as SimCacheSet,
    cacheMode: mode as string,
    backing,
  });
  return renderBcache(n, g);
};

const updateBcache: Handler = (ctx) => {
  const { n, g } = groupArg(ctx, 'admin', 'Bcache', isBcache);
  readyFor(n, 'update Bcache');
  const d = ctx.data;
  const errors: Errors = {};
  const csSpec = d.get('cache_set');
  const cacheSet = csSpec ? findCacheSet(n, csSpec) : undefined;
  if (csSpec && !cacheSet) errors.cache_set = [choiceError(csSpec)];
  const mode = d.get('cache_mode');
  if (mode && !CACHE_MODES.includes(mode)) errors.cache_mode = [choiceError(mode)];
  const devices = devicesField(n, d, 'backing_device', 'device', freeDevice, errors);
  const parts = devicesField(n, d, 'backing_partition', 'partition', freePartition, errors);
  if (Object.keys(errors).length) throw fieldErrors(errors);
  if (devices.length && parts.length) {
    throw fieldErrors({ __all__: ['A Bcache can have either a backing device or partition.'] });
  }
  const dev = devices[0];
  if (dev && isLogicalVolume(n, dev.dev)) {
    throw fieldErrors({ __all__: ['Bcache cannot use a logical volume as a backing device.'] });
  }
  const { state } = ctx.svc;
  if (d.get('name')) {
    g.name = d.get('name') as string;
    for (const v of groupVirtualDevices(n, g)) v.name = g.name;
  }
  if (d.get('uuid')) g.uuid = d.get('uuid') as string;
  if (cacheSet) g.cacheSetId = cacheSet.id;
  if (mode) g.cacheMode = mode;
  const backing = dev ? asMemberTarget(state, n, dev.dev) : parts[0];
  if (backing) {
    for (const m of groupMembers(n, g)) detach(m, g.id);
    attach(state, backing, 'bcache-backing', g.id);
    refreshGroupDevice(n, g);
  }
  return renderBcache(n, g);
};

const deleteBcache: Handler = (ctx) => {
  const { n, g } = groupArg(ctx, 'admin', 'Bcache', isBcache);
  readyFor(n, 'delete Bcache');
  dropGroup(n, g);
  return deletedResponse();
};

// ---------------------------------------------------------------- routes

const listOf =
  (keep: (g: SimFsGroup) => boolean, render: (n: SimNode, g: SimFsGroup) => unknown): Handler =>
  (ctx) => {
    const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'view', 'machine');
    return n.groups.filter(keep).map((g) => render(n, g));
  };

const readOf =
  (
    model: 'VolumeGroup' | 'RAID' | 'Bcache',
    keep: (g: SimFsGroup) => boolean,
    render: (n: SimNode, g: SimFsGroup) => unknown,
  ): Handler =>
  (ctx) => {
    const { n, g } = groupArg(ctx, 'view', model, keep);
    return render(n, g);
  };

export const storageGroupResources: Resource[] = [
  {
    name: 'VolumeGroupsHandler',
    pattern: /^nodes\/([^/]+)\/volume-groups\/$/,
    handlers: { GET: listOf(isVg, renderVolumeGroup), POST: createVg },
  },
  {
    name: 'VolumeGroupHandler',
    pattern: /^nodes\/([^/]+)\/volume-groups?\/([^/]+)\/$/,
    handlers: {
      GET: readOf('VolumeGroup', isVg, renderVolumeGroup),
      PUT: updateVg,
      DELETE: deleteVg,
      'POST create_logical_volume': createLv,
      'POST delete_logical_volume': deleteLv,
    },
  },
  {
    name: 'RaidsHandler',
    pattern: /^nodes\/([^/]+)\/raids\/$/,
    handlers: { GET: listOf(isRaid, renderRaid), POST: createRaidHandler },
  },
  {
    name: 'RaidHandler',
    pattern: /^nodes\/([^/]+)\/raid\/([^/]+)\/$/,
    handlers: { GET: readOf('RAID', isRaid, renderRaid), PUT: updateRaid, DELETE: deleteRaid },
  },
  {
    name: 'BcacheCacheSetsHandler',
    pattern: /^nodes\/([^/]+)\/bcache-cache-sets\/$/,
    handlers: {
      GET: (ctx) => {
        const n = getNodeOr404(ctx.svc.state, ctx.user, ctx.args[0] ?? '', 'view', 'node');
        return n.cacheSets.map((cs) => renderCacheSet(n, cs));
      },
      POST: createCacheSetHandler,
    },
  },
  {
    name: 'BcacheCacheSetHandler',
    pattern: /^nodes\/([^/]+)\/bcache-cache-set\/([^/]+)\/$/,
    handlers: {
      GET: (ctx) => {
        const { n, cs } = cacheSetArg(ctx, 'view');
        return renderCacheSet(n, cs);
      },
      PUT: updateCacheSet,
      DELETE: deleteCacheSet,
    },
  },
  {
    name: 'BcachesHandler',
    pattern: /^nodes\/([^/]+)\/bcaches\/$/,
    handlers: { GET: listOf(isBcache, renderBcache), POST: createBcacheHandler },
  },
  {
    name: 'BcacheHandler',
    pattern: /^nodes\/([^/]+)\/bcache\/([^/]+)\/$/,
    handlers: { GET: readOf('Bcache', isBcache, renderBcache), PUT: updateBcache, DELETE: deleteBcache },
  },
];
