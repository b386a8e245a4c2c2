/**
 * `POST /machines/?op=clone` (MAAS `maasserver/forms/clone.py` `CloneForm`, `maasserver/api/machines.py`
 * `MachinesHandler.clone`, `maasserver/models/node.py` `_get_storage_mapping_between_nodes`,
 * `_get_interface_mapping_between_nodes`, `set_storage_configuration_from_node`,
 * `set_networking_configuration_from_node`): copy a machine's storage and/or interfaces onto Ready or Failed testing
 * machines, every destination checked first, the errors of all of them in one answer.
 */
import { nextFreeIp, takeIp } from './addressing.ts';
import { CHOICE, choiceError, deletedResponse, djangoBool, fieldErrors, SimHttpError } from './http.ts';
import { removeInterface } from './interfaces.ts';
import type {
  SimBlockDevice,
  SimFilesystem,
  SimFsGroup,
  SimInterface,
  SimNode,
  SimPartition,
  SimState,
} from './model.ts';
import { canView, hasPerm } from './perm.ts';
import type { AuthedCtx } from './router.ts';
import { CLONE_DESTINATION } from './status.ts';
import { bootDisk, clearStorage, physicalDevices, refreshGroupDevice } from './storage-model.ts';
import { touch } from './tx.ts';

/** `Node.__str__`. */
const nodeText = (n: SimNode) => `${n.systemId} (${n.hostname})`;

/** `NodeChoiceField`: a system_id or a hostname. */
function findMachine(state: SimState, spec: string): SimNode | undefined {
  const n = state.machine(spec) ?? state.machineByHostname(spec);
  // Found by iterating, a record does not join the request's transaction by itself.
  if (n) touch(n);
  return n;
}

type DiskMap = Map<SimBlockDevice, SimBlockDevice>;

/**
 * `_get_storage_mapping_between_nodes`: same architecture and boot method, boot disk to boot disk (no smaller), then
 * every other source disk to a distinct destination disk: equal size and tags first, then larger with the same
 * tags, then larger with any tags. Errors are the texts MAAS puts after `<dest> is invalid: `.
 */
function storageMapping(source: SimNode, dest: SimNode): DiskMap | string {
  if (dest.architecture !== source.architecture) {
    return `node architectures do not match (${dest.architecture} != ${source.architecture})`;
  }
  if ((dest.biosBootMethod ?? '') !== (source.biosBootMethod ?? '')) {
    return `node boot methods do not match (${dest.biosBootMethod} != ${source.biosBootMethod})`;
  }
  const destDisks = physicalDevices(dest);
  const sourceDisks = physicalDevices(source);
  if (destDisks.length === 0) return 'destination node has no physical block devices';
  if (sourceDisks.length === 0) return 'source node has no physical block devices';
  const destBoot = bootDisk(dest) as SimBlockDevice;
  const sourceBoot = bootDisk(source) as SimBlockDevice;
  if (destBoot.size < sourceBoot.size) {
    return `destination boot disk(${destBoot.name}) is smaller than source boot disk(${sourceBoot.name})`;
  }
  if (destDisks.length < sourceDisks.length) {
    return `source node does not have enough physical block devices (${destDisks.length} < ${sourceDisks.length})`;
  }
  const map: DiskMap = new Map([[sourceBoot, destBoot]]);
  const used = new Set([destBoot]);
  const sameTags = (a: SimBlockDevice, b: SimBlockDevice) =>
    a.tags.length === b.tags.length && a.tags.every((t) => b.tags.includes(t));
  const rules = [
    (s: SimBlockDevice, d: SimBlockDevice) => d.size === s.size && sameTags(s, d),
    (s: SimBlockDevice, d: SimBlockDevice) => d.size >= s.size && sameTags(s, d),
    (s: SimBlockDevice, d: SimBlockDevice) => d.size >= s.size,
  ];
  let unmatched = sourceDisks.filter((s) => s !== sourceBoot);
  for (const rule of rules) {
    unmatched = unmatched.filter((s) => {
      const d = destDisks.find((x) => !used.has(x) && rule(s, x));
      if (!d) return true;
      map.set(s, d);
      used.add(d);
      return false;
    });
  }
  if (unmatched.length) {
    return `${unmatched.length} destination node physical block devices do not match the source nodes physical block devices`;
  }
  return map;
}

/** `_get_interface_mapping_between_nodes`: every physical interface of the source needs one of the same name. */
function interfaceMapping(source: SimNode, dest: SimNode): string | null {
  const missing = source.interfaces
    .filter(
      (i) =>
        i.type === 'physical' && !dest.interfaces.some((d) => d.type === 'physical' && d.name === i.name),
    )
    .map((i) => i.name);
  if (missing.length === 0) return null;
  return `destination node physical interfaces do not match the source nodes physical interfaces: ${missing.join(', ')}`;
}

// ---------------------------------------------------------------- copying storage

function copyFs(
  state: SimState,
  fs: SimFilesystem | null,
  groups: Map<number, number>,
  sets: Map<number, number>,
): SimFilesystem | null {
  if (!fs) return null;
  const out: SimFilesystem = { ...fs, uuid: state.rng.uuid() };
  if (fs.groupId !== undefined) out.groupId = groups.get(fs.groupId) ?? fs.groupId;
  if (fs.cacheSetId !== undefined) out.cacheSetId = sets.get(fs.cacheSetId) ?? fs.cacheSetId;
  return out;
}

function copyPartitions(
  state: SimState,
  from: SimBlockDevice,
  groups: Map<number, number>,
  sets: Map<number, number>,
): SimPartition[] {
  return from.partitions.map((p) => ({
    ...p,
    id: state.nextId('partition'),
    uuid: p.uuid === null ? null : state.rng.uuid(),
    tags: [...p.tags],
    filesystem: copyFs(state, p.filesystem, groups, sets),
    acquired: null,
  }));
}

/**
 * `set_storage_configuration_from_node`: the destination's storage is cleared, then partition tables, partitions,
 * filesystems (not acquired ones), groups, cache sets, virtual devices and special filesystems are copied with new
 * ids and UUIDs.
 */
function cloneStorage(state: SimState, source: SimNode, dest: SimNode, disks: DiskMap): void {
  clearStorage(dest);
  const groups = new Map<number, number>();
  const sets = new Map<number, number>();
  for (const cs of source.cacheSets) {
    const id = state.nextId('cacheset');
    sets.set(cs.id, id);
    dest.cacheSets.push({ id });
  }
  for (const g of source.groups) {
    const id = state.nextId('fsgroup');
    groups.set(g.id, id);
    const copy: SimFsGroup = {
      ...g,
      id,
      uuid: state.rng.uuid(),
      cacheSetId: g.cacheSetId === null ? null : (sets.get(g.cacheSetId) ?? null),
    };
    dest.groups.push(copy);
  }
  for (const [from, to] of disks) {
    to.partitionTableType = from.partitionTableType;
    to.partitions = copyPartitions(state, from, groups, sets);
    to.filesystem = copyFs(state, from.filesystem, groups, sets);
    to.acquired = null;
  }
  for (const v of source.blockDevices.filter((d) => d.type === 'virtual')) {
    const groupId = v.groupId === undefined ? undefined : groups.get(v.groupId);
    const group = dest.groups.find((g) => g.id === groupId);
    dest.blockDevices.push({
      ...v,
      id: state.nextId('blockdevice'),
      uuid: group && group.type !== 'lvm-vg' ? group.uuid : state.rng.uuid(),
      tags: [...v.tags],
      partitions: copyPartitions(state, v, groups, sets),
      filesystem: copyFs(state, v.filesystem, groups, sets),
      acquired: null,
      ...(groupId !== undefined ? { groupId } : {}),
    });
  }
  for (const g of dest.groups) refreshGroupDevice(dest, g);
  dest.specialFilesystems = source.specialFilesystems.map((f) => ({ ...f, uuid: state.rng.uuid() }));
}

// ---------------------------------------------------------------- copying interfaces

/**
 * `set_networking_configuration_from_node`: links are cleared; VLAN, params and enabled are copied to the same-named
 * physical NICs; bonds, bridges and VLAN interfaces are re-created on the mapped parents (first parent's MAC);
 * each link is copied, and one that holds an address gets a new one from the same subnet (static IPs are never
 * copied).
 */
function cloneInterfaces(state: SimState, source: SimNode, dest: SimNode): void {
  for (const i of dest.interfaces.filter((x) => x.type !== 'physical')) removeInterface(state, dest, i);
  for (const i of dest.interfaces) {
    for (const l of i.links) if (l.ip) state.ips.delete(l.ip);
    i.links = [];
  }
  dest.gatewayLinkIpv4 = null;
  dest.gatewayLinkIpv6 = null;
  const byName = new Map<string, SimInterface>(dest.interfaces.map((i) => [i.name, i]));
  const sourceName = (id: number) => source.interfaces.find((i) => i.id === id)?.name ?? '';
  for (const si of source.interfaces) {
    let di = byName.get(si.name);
    if (si.type === 'physical') {
      if (!di) continue;
      di.vlanId = si.vlanId;
      di.params = si.params ? { ...si.params } : null;
      di.enabled = si.enabled;
    } else {
      const parents = si.parents.map((p) => byName.get(sourceName(p))).filter((p): p is SimInterface => !!p);
      di = {
        ...si,
        id: state.nextId('interface'),
        mac: parents[0]?.mac ?? si.mac,
        parents: parents.map((p) => p.id),
        tags: [...si.tags],
        params: si.params ? { ...si.params } : null,
        links: [],
      };
      dest.interfaces.push(di);
      byName.set(di.name, di);
    }
    for (const l of si.links) {
      let ip: string | null = null;
      if (l.ip && l.subnetId !== null) {
        const subnet = state.subnets.get(l.subnetId);
        ip = subnet ? nextFreeIp(state, subnet) : null;
        if (!ip) throw new SimHttpError(503, `No more IPs available in subnet: ${subnet?.cidr ?? ''}.`);
        takeIp(state, dest, ip);
      }
      di.links.push({ id: state.nextId('link'), mode: l.mode, subnetId: l.subnetId, ip });
    }
  }
}

// ---------------------------------------------------------------- the op

export function clone(ctx: AuthedCtx): Response {
  const { state } = ctx.svc;
  const d = ctx.data;
  const errors: Record<string, string[]> = {};
  const sourceSpec = d.get('source');
  let source: SimNode | undefined;
  if (!sourceSpec) errors.source = ['This field is required.'];
  else {
    source = findMachine(state, sourceSpec);
    if (!source || !canView(ctx.user, source)) {
      errors.source = [CHOICE];
      source = undefined;
    }
  }
  // A `SimpleArrayField`: one comma-separated string; a repeated key keeps its last value.
  const destText = d.get('destinations') ?? '';
  const destSpecs = destText.split(',').filter((x) => x !== '');
  const destErrors: string[] = [];
  if (destSpecs.length === 0) errors.destinations = ['This field is required.'];
  const dests: SimNode[] = [];
  destSpecs.forEach((spec, i) => {
    const n = findMachine(state, spec);
    const ok = n && hasPerm(ctx.user, n, 'admin') && CLONE_DESTINATION.has(n.status);
    if (!ok) destErrors.push(`Machine ${i + 1} is invalid: ${choiceError(spec)}`);
    else if (!dests.includes(n)) dests.push(n);
  });
  const storage = djangoBool(d, 'storage', false);
  const interfaces = djangoBool(d, 'interfaces', false);
  const mappings = new Map<SimNode, DiskMap>();
  if (source && destErrors.length === 0 && destSpecs.length) {
    for (const dest of dests) {
      if (dest === source) {
        destErrors.push(`Source machine ${nodeText(dest)} cannot be a destination machine.`);
        continue;
      }
      if (storage) {
        const map = storageMapping(source, dest);
        if (typeof map === 'string') destErrors.push(`${nodeText(dest)} is invalid: ${map}`);
        else mappings.set(dest, map);
      }
      if (interfaces) {
        const problem = interfaceMapping(source, dest);
        if (problem) destErrors.push(`${nodeText(dest)} is invalid: ${problem}`);
      }
    }
  }
  if (destErrors.length) errors.destinations = destErrors;
  if (!storage && !interfaces) errors.__all__ = ['Either storage or interfaces must be true.'];
  if (Object.keys(errors).length) throw fieldErrors(errors);
  const src = source as SimNode;
  for (const dest of dests) {
    if (storage) cloneStorage(state, src, dest, mappings.get(dest) as DiskMap);
    if (interfaces) cloneInterfaces(state, src, dest);
  }
  // `rc.DELETED`: 204 with no body.
  return deletedResponse();
}
