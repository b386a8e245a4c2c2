/**
 * A machine's storage endpoints (MAAS `maasserver/api/blockdevices.py`, `partitions.py`, `volume_groups.py`,
 * `raid.py`, `bcache.py`, `bcache_cacheset.py`, and `MachineHandler.set_storage_layout`): the reads behind
 * `machine_storage` and every write a layout needs, each answer parsed here.
 */
import * as z from 'zod/v4';
import { type CallOptions, getList, type MaasTransport, seg, send } from './calls.ts';
import type { Params } from './http.ts';
import { BlockDevice, Partition } from './schemas.ts';

const num = z
  .number()
  .nullish()
  .transform((v) => v ?? 0);

/**
 * A member of a volume group or RAID, a backing or cache device: MAAS sends a block-device object or a partition
 * object. A partition has no `name`; its name is the last part of its path (`/dev/disk/by-dname/sda-part2`).
 */
export const StorageMember = z
  .object({
    id: z.number(),
    name: z.string().nullish(),
    path: z.string().nullish(),
    size: num,
    type: z.string().nullish(),
    device_id: z.number().nullish(),
  })
  .transform((m) => ({
    id: m.id,
    name: m.name || (m.path ?? '').split('/').pop() || String(m.id),
    size: m.size,
    /** Set for a partition: the block device it is on. */
    deviceId: m.type === 'partition' || m.device_id != null ? (m.device_id ?? null) : null,
  }));
export type StorageMember = z.infer<typeof StorageMember>;

const members = z
  .array(StorageMember)
  .nullish()
  .transform((v) => v ?? []);

export const VolumeGroup = z.object({
  id: z.number(),
  name: z.string(),
  size: num,
  available_size: num,
  used_size: num,
  devices: members,
  logical_volumes: z
    .array(BlockDevice)
    .nullish()
    .transform((v) => v ?? []),
});
export type VolumeGroup = z.infer<typeof VolumeGroup>;

export const Raid = z.object({
  id: z.number(),
  name: z.string(),
  level: z.string(),
  /** A float for RAID 10 (MAAS divides with Python's `/`). */
  size: num,
  devices: members,
  spare_devices: members,
  virtual_device: BlockDevice.nullish(),
});
export type Raid = z.infer<typeof Raid>;

export const CacheSet = z.object({
  id: z.number(),
  name: z.string(),
  cache_device: StorageMember.nullish(),
});
export type CacheSet = z.infer<typeof CacheSet>;

export const Bcache = z.object({
  id: z.number(),
  name: z.string(),
  size: num,
  cache_mode: z.string().nullish(),
  cache_set: CacheSet.nullish(),
  backing_device: StorageMember.nullish(),
  virtual_device: BlockDevice.nullish(),
});
export type Bcache = z.infer<typeof Bcache>;

/** A machine's storage groups: everything built on top of its block devices. */
export interface StorageGroups {
  volumeGroups: VolumeGroup[];
  raids: Raid[];
  bcaches: Bcache[];
  cacheSets: CacheSet[];
}

const node = (systemId: string) => `nodes/${seg(systemId)}/`;

/** The four group lists of a machine, read at once. */
export async function storageGroups(
  http: MaasTransport,
  systemId: string,
  opts: CallOptions = {},
): Promise<StorageGroups> {
  const base = node(systemId);
  const [volumeGroups, raids, bcaches, cacheSets] = await Promise.all([
    getList(http, VolumeGroup, `${base}volume-groups/`, 'volume group', opts),
    getList(http, Raid, `${base}raids/`, 'RAID', opts),
    getList(http, Bcache, `${base}bcaches/`, 'bcache', opts),
    getList(http, CacheSet, `${base}bcache-cache-sets/`, 'cache set', opts),
  ]);
  return { volumeGroups, raids, bcaches, cacheSets };
}

/** The bits of a machine's answer the storage writes look at. */
const MachineRef = z.object({ system_id: z.string(), status: z.number().optional() });

/**
 * `POST /machines/{id}/?op=set_storage_layout` (admin, Ready only): MAAS clears the machine's whole storage
 * configuration, then builds the layout.
 */
export async function setStorageLayout(
  http: MaasTransport,
  systemId: string,
  layout: string,
  params: Params = {},
  opts: CallOptions = {},
): Promise<void> {
  await send(http, MachineRef, 'POST', `machines/${seg(systemId)}/`, 'machine', {
    op: 'set_storage_layout',
    form: { ...params, storage_layout: layout },
    ...opts,
  });
}

/** `POST …/blockdevices/{id}/partitions/`: `size` in bytes (omitted: all the free space). */
export function createPartition(
  http: MaasTransport,
  systemId: string,
  deviceId: number,
  body: { size?: number | undefined; bootable?: boolean | undefined },
  opts: CallOptions = {},
): Promise<z.infer<typeof Partition>> {
  const form: Record<string, string | number> = {};
  if (body.size !== undefined) form.size = body.size;
  if (body.bootable) form.bootable = 'true';
  return send(
    http,
    Partition,
    'POST',
    `${node(systemId)}blockdevices/${seg(deviceId)}/partitions/`,
    'partition',
    { form, ...opts },
  );
}

/** Where a filesystem goes: a whole block device (physical or virtual), or a partition of one. */
export type FormatTarget = { deviceId: number; partitionId?: number | undefined };

function targetPath(systemId: string, t: FormatTarget): string {
  const dev = `${node(systemId)}blockdevices/${seg(t.deviceId)}/`;
  return t.partitionId === undefined ? dev : `${dev}partition/${seg(t.partitionId)}`;
}

/** `op=format` of a block device or partition (`fstype`, optional `label`). */
export async function formatTarget(
  http: MaasTransport,
  systemId: string,
  target: FormatTarget,
  body: { fstype: string; label?: string | undefined },
  opts: CallOptions = {},
): Promise<void> {
  const form: Record<string, string> = { fstype: body.fstype };
  if (body.label) form.label = body.label;
  await send(http, z.unknown(), 'POST', targetPath(systemId, target), 'filesystem', {
    op: 'format',
    form,
    ...opts,
  });
}

/** `op=mount` of a formatted block device or partition. */
export async function mountTarget(
  http: MaasTransport,
  systemId: string,
  target: FormatTarget,
  body: { mount_point: string; mount_options?: string | undefined },
  opts: CallOptions = {},
): Promise<void> {
  const form: Record<string, string> = { mount_point: body.mount_point };
  if (body.mount_options) form.mount_options = body.mount_options;
  await send(http, z.unknown(), 'POST', targetPath(systemId, target), 'filesystem', {
    op: 'mount',
    form,
    ...opts,
  });
}

/** Members by id or name, as the group forms take them (repeated keys). */
export interface GroupMembers {
  block_devices?: readonly (string | number)[];
  partitions?: readonly (string | number)[];
}

function memberForm(m: GroupMembers & { spare_devices?: readonly (string | number)[] }): Params {
  const form: Record<string, readonly (string | number)[]> = {};
  for (const [k, v] of Object.entries(m)) if (Array.isArray(v) && v.length) form[k] = v;
  return form;
}

/** `POST /nodes/{id}/volume-groups/` (admin, Ready). */
export function createVolumeGroup(
  http: MaasTransport,
  systemId: string,
  body: { name: string } & GroupMembers,
  opts: CallOptions = {},
): Promise<VolumeGroup> {
  return send(http, VolumeGroup, 'POST', `${node(systemId)}volume-groups/`, 'volume group', {
    form: { name: body.name, ...memberForm(body) },
    ...opts,
  });
}

/** `op=create_logical_volume`: answers the new logical volume as a block device (not the group). */
export function createLogicalVolume(
  http: MaasTransport,
  systemId: string,
  volumeGroupId: number,
  body: { name: string; size?: number | undefined },
  opts: CallOptions = {},
): Promise<BlockDevice> {
  const form: Record<string, string | number> = { name: body.name };
  if (body.size !== undefined) form.size = body.size;
  return send(
    http,
    BlockDevice,
    'POST',
    `${node(systemId)}volume-group/${seg(volumeGroupId)}/`,
    'logical volume',
    { op: 'create_logical_volume', form, ...opts },
  );
}

/** `POST /nodes/{id}/raids/` (admin, Ready); `level` is `raid-0` … `raid-10`. */
export function createRaid(
  http: MaasTransport,
  systemId: string,
  body: {
    name: string;
    level: string;
    block_devices?: readonly (string | number)[];
    partitions?: readonly (string | number)[];
    spare_devices?: readonly (string | number)[];
    spare_partitions?: readonly (string | number)[];
  },
  opts: CallOptions = {},
): Promise<Raid> {
  const { name, level, ...rest } = body;
  return send(http, Raid, 'POST', `${node(systemId)}raids/`, 'RAID', {
    form: { name, level, ...memberForm(rest) },
    ...opts,
  });
}

/** `POST /nodes/{id}/bcache-cache-sets/` with exactly one of a cache device or partition. */
export function createCacheSet(
  http: MaasTransport,
  systemId: string,
  body: { cache_device: string | number } | { cache_partition: string | number },
  opts: CallOptions = {},
): Promise<CacheSet> {
  return send(http, CacheSet, 'POST', `${node(systemId)}bcache-cache-sets/`, 'cache set', {
    form: body,
    ...opts,
  });
}

/** `POST /nodes/{id}/bcaches/` with a cache set and exactly one of a backing device or partition. */
export function createBcache(
  http: MaasTransport,
  systemId: string,
  body: { name: string; cache_set: string | number; cache_mode: string } & (
    | { backing_device: string | number }
    | { backing_partition: string | number }
  ),
  opts: CallOptions = {},
): Promise<Bcache> {
  return send(http, Bcache, 'POST', `${node(systemId)}bcaches/`, 'bcache', { form: body, ...opts });
}
