/**
 * Storage JSON (MAAS `maasserver/api/blockdevices.py` `DISPLAYED_BLOCKDEVICE_FIELDS`, `partitions.py`,
 * `volume_groups.py`, `raid.py`, `bcache.py`, `bcache_cacheset.py`).
 */
import { pyFloat } from './json.ts';
import type {
  SimBlockDevice,
  SimCacheSet,
  SimFilesystem,
  SimFsGroup,
  SimNode,
  SimPartition,
} from './model.ts';
import { API } from './paths.ts';
import {
  cacheSetDevice,
  cacheSetName,
  deviceAvailableSize,
  deviceName,
  deviceUsedSize,
  effectiveFs,
  groupMembers,
  groupSize,
  groupVirtualDevices,
  humanBytes,
  type StorageTarget,
  usedFor,
  vgAvailable,
} from './storage-model.ts';

export function renderFilesystem(fs: SimFilesystem | null): Record<string, unknown> | null {
  if (!fs) return null;
  return {
    fstype: fs.fstype,
    label: fs.label,
    uuid: fs.uuid,
    mount_point: fs.mountPoint,
    mount_options: fs.mountOptions,
  };
}

export function renderPartition(
  node: SimNode,
  dev: SimBlockDevice,
  p: SimPartition,
): Record<string, unknown> {
  return {
    uuid: p.uuid,
    size: p.size,
    bootable: p.bootable,
    tags: p.tags,
    path: `/dev/disk/by-dname/${deviceName(node, dev)}-part${p.index}`,
    type: 'partition',
    filesystem: renderFilesystem(effectiveFs(p)),
    used_for: usedFor(node, p),
    system_id: node.systemId,
    device_id: dev.id,
    id: p.id,
    resource_uri: `${API}nodes/${node.systemId}/blockdevices/${dev.id}/partition/${p.id}`,
  };
}

export function renderBlockDevice(node: SimNode, dev: SimBlockDevice): Record<string, unknown> {
  const physical = dev.type === 'physical';
  const name = deviceName(node, dev);
  return {
    id_path: physical ? dev.idPath || null : null,
    size: dev.size,
    block_size: dev.blockSize,
    tags: dev.tags,
    serial: physical ? dev.serial || null : null,
    uuid: physical ? null : dev.uuid,
    numa_node: physical ? dev.numaNode : null,
    available_size: deviceAvailableSize(node, dev),
    partition_table_type: dev.partitionTableType,
    model: physical ? dev.model || null : null,
    path: `/dev/disk/by-dname/${name}`,
    partitions: dev.partitions.map((p) => renderPartition(node, dev, p)),
    type: dev.type,
    used_size: deviceUsedSize(node, dev),
    filesystem: renderFilesystem(effectiveFs(dev)),
    storage_pool: null,
    name,
    used_for: usedFor(node, dev),
    id: dev.id,
    firmware_version: physical ? dev.firmwareVersion || null : null,
    system_id: node.systemId,
    resource_uri: `${API}nodes/${node.systemId}/blockdevices/${dev.id}/`,
  };
}

/** A group member or cache device: a block-device object or a partition object. */
export function renderTarget(node: SimNode, t: StorageTarget): Record<string, unknown> {
  return t.part ? renderPartition(node, t.dev, t.part) : renderBlockDevice(node, t.dev);
}

export function renderVolumeGroup(node: SimNode, g: SimFsGroup): Record<string, unknown> {
  const size = groupSize(node, g);
  const available = vgAvailable(node, g);
  return {
    system_id: node.systemId,
    id: g.id,
    uuid: g.uuid,
    name: g.name,
    devices: groupMembers(node, g).map((m) => renderTarget(node, m)),
    size,
    human_size: humanBytes(size),
    available_size: available,
    human_available_size: humanBytes(available),
    used_size: size - available,
    human_used_size: humanBytes(size - available),
    logical_volumes: groupVirtualDevices(node, g).map((lv) => renderBlockDevice(node, lv)),
    resource_uri: `${API}nodes/${node.systemId}/volume-group/${g.id}/`,
  };
}

export function renderRaid(node: SimNode, g: SimFsGroup): Record<string, unknown> {
  const members = groupMembers(node, g);
  const size = groupSize(node, g);
  const virtual = groupVirtualDevices(node, g)[0];
  return {
    system_id: node.systemId,
    id: g.id,
    uuid: g.uuid,
    name: g.name,
    level: g.type,
    devices: members.filter((m) => m.fs.fstype === 'raid').map((m) => renderTarget(node, m)),
    spare_devices: members.filter((m) => m.fs.fstype === 'raid-spare').map((m) => renderTarget(node, m)),
    // Python's true division makes a raid-10 size a float.
    size: g.type === 'raid-10' ? pyFloat(size) : size,
    human_size: humanBytes(size),
    virtual_device: virtual ? renderBlockDevice(node, virtual) : null,
    resource_uri: `${API}nodes/${node.systemId}/raid/${g.id}/`,
  };
}

export function renderCacheSet(node: SimNode, cs: SimCacheSet): Record<string, unknown> {
  const device = cacheSetDevice(node, cs);
  return {
    system_id: node.systemId,
    id: cs.id,
    name: cacheSetName(node, cs),
    cache_device: device ? renderTarget(node, device) : null,
    resource_uri: `${API}nodes/${node.systemId}/bcache-cache-set/${cs.id}/`,
  };
}

export function renderBcache(node: SimNode, g: SimFsGroup): Record<string, unknown> {
  const backing = groupMembers(node, g).find((m) => m.fs.fstype === 'bcache-backing');
  const cs = node.cacheSets.find((c) => c.id === g.cacheSetId);
  const virtual = groupVirtualDevices(node, g)[0];
  const size = groupSize(node, g);
  return {
    system_id: node.systemId,
    id: g.id,
    uuid: g.uuid,
    name: g.name,
    cache_set: cs ? renderCacheSet(node, cs) : null,
    backing_device: backing ? renderTarget(node, backing) : null,
    size,
    human_size: humanBytes(size),
    virtual_device: virtual ? renderBlockDevice(node, virtual) : null,
    cache_mode: g.cacheMode,
    resource_uri: `${API}nodes/${node.systemId}/bcache/${g.id}/`,
  };
}
