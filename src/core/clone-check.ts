/**
 * Whether MAAS will clone a source's storage and/or network onto a destination, checked per destination before
 * anything is sent (MAAS `maasserver/forms/clone.py` `CloneForm`, `Node._get_storage_mapping_between_nodes`,
 * `Node._get_interface_mapping_between_nodes`): the same architecture and boot method, at least as many disks,
 * each at least as large as the one it takes the place of, and the source's physical interface names.
 */
import type { MachineConfig } from '../maas/machine-config.ts';
import { configRefusal } from './config-gates.ts';
import { humanSize } from './sizes.ts';

export interface CloneDisk {
  name: string;
  size: number;
  tags: readonly string[];
}

export interface ClonePeer {
  systemId: string;
  hostname: string;
  status: number;
  locked?: boolean;
  architecture: string;
  bootMethod: string;
  bootDisk: CloneDisk | null;
  /** Physical disks other than the boot disk. */
  otherDisks: CloneDisk[];
  physicalInterfaces: string[];
  /** Static addresses of the source's links (not copied: MAAS gives each destination a new one). */
  staticAddresses: { iface: string; subnet: string; ip: string }[];
}

export function clonePeer(
  m: MachineConfig & { interface_set: NonNullable<MachineConfig['interface_set']> },
): ClonePeer {
  const disks = (m.physicalblockdevice_set ?? []).map((d) => ({
    id: d.id,
    name: d.name,
    size: d.size,
    tags: d.tags,
  }));
  const bootId = m.boot_disk?.id ?? disks[0]?.id;
  const boot = disks.find((d) => d.id === bootId) ?? null;
  return {
    systemId: m.system_id,
    hostname: m.hostname,
    status: m.status,
    locked: m.locked,
    architecture: m.architecture,
    bootMethod: m.bios_boot_method ?? '',
    bootDisk: boot,
    otherDisks: disks.filter((d) => d !== boot),
    physicalInterfaces: m.interface_set.filter((i) => i.type === 'physical').map((i) => i.name),
    staticAddresses: m.interface_set.flatMap((i) =>
      i.links
        .filter((l) => l.mode === 'static' && l.ip_address)
        .map((l) => ({ iface: i.name, subnet: l.subnet?.cidr ?? '', ip: l.ip_address as string })),
    ),
  };
}

export interface CloneCheck {
  /** Why MAAS would refuse this destination; empty when it will clone. */
  problems: string[];
  /** How the source's disks map onto the destination's (storage only). */
  diskMap: { source: string; destination: string }[];
}

const sameTags = (a: CloneDisk, b: CloneDisk) =>
  a.tags.length === b.tags.length && a.tags.every((t) => b.tags.includes(t));

/** MAAS pairs the other disks in three passes: equal size and tags; larger with equal tags; larger with any tags. */
function pairDisks(
  source: readonly CloneDisk[],
  dest: readonly CloneDisk[],
): { pairs: [CloneDisk, CloneDisk][]; left: CloneDisk[] } {
  const free = [...dest].sort((a, b) => a.size - b.size);
  const pairs: [CloneDisk, CloneDisk][] = [];
  let left = [...source];
  const pass = (fits: (s: CloneDisk, d: CloneDisk) => boolean) => {
    left = left.filter((s) => {
      const i = free.findIndex((d) => fits(s, d));
      if (i < 0) return true;
      pairs.push([s, free.splice(i, 1)[0] as CloneDisk]);
      return false;
    });
  };
  pass((s, d) => d.size === s.size && sameTags(s, d));
  pass((s, d) => d.size >= s.size && sameTags(s, d));
  pass((s, d) => d.size >= s.size);
  return { pairs, left };
}

export function checkClone(
  source: ClonePeer,
  dest: ClonePeer,
  what: { storage: boolean; network: boolean },
): CloneCheck {
  const problems: string[] = [];
  const diskMap: { source: string; destination: string }[] = [];
  if (dest.systemId === source.systemId) {
    problems.push(`${dest.hostname} is the source; it cannot be a destination too`);
    return { problems, diskMap };
  }
  const gate = configRefusal(dest, 'clone destination');
  if (gate) problems.push(gate);
  if (what.storage) {
    if (dest.architecture !== source.architecture)
      problems.push(`its architecture is ${dest.architecture}, the source's ${source.architecture}`);
    if (dest.bootMethod !== source.bootMethod)
      problems.push(`it boots ${dest.bootMethod || 'unknown'}, the source ${source.bootMethod || 'unknown'}`);
    const srcCount = source.otherDisks.length + (source.bootDisk ? 1 : 0);
    const dstCount = dest.otherDisks.length + (dest.bootDisk ? 1 : 0);
    if (!dest.bootDisk) problems.push('it has no physical disks');
    else if (!source.bootDisk) problems.push(`the source ${source.hostname} has no physical disks`);
    else if (dest.bootDisk.size < source.bootDisk.size)
      problems.push(
        `its boot disk ${dest.bootDisk.name} (${humanSize(dest.bootDisk.size)}) is smaller than the source's ${source.bootDisk.name} (${humanSize(source.bootDisk.size)})`,
      );
    else if (dstCount < srcCount) problems.push(`it has ${dstCount} disks, the source ${srcCount}`);
    else {
      diskMap.push({ source: source.bootDisk.name, destination: dest.bootDisk.name });
      const { pairs, left } = pairDisks(source.otherDisks, dest.otherDisks);
      for (const [s, d] of pairs) diskMap.push({ source: s.name, destination: d.name });
      if (left.length)
        problems.push(
          `no disk of its own is as large as the source's ${left.map((s) => `${s.name} (${humanSize(s.size)})`).join(', ')}`,
        );
    }
  }
  if (what.network) {
    const missing = source.physicalInterfaces.filter((n) => !dest.physicalInterfaces.includes(n));
    if (missing.length)
      problems.push(
        `it has no physical interface named ${missing.join(', ')} (MAAS matches interfaces by name; it has ${dest.physicalInterfaces.join(', ') || 'none'})`,
      );
  }
  return { problems, diskMap };
}
