/**
 * A storage layout drawn on a machine's real disks before anything is written: each step is checked and sized the
 * way MAAS will (4 MiB alignment, partition-table overhead, partition numbering, volume group extents, RAID
 * superblocks), and recorded as the MAAS call that makes it. The result is the final tree for the preview and the
 * ordered calls; problems are collected, never thrown, so a caller sees them all at once.
 */
import type { MachineConfig } from '../maas/machine-config.ts';
import {
  alignDown,
  type DiskHost,
  diskAvailable,
  firstPartitionIndex,
  humanSize,
  MIN_BOOT_SIZE,
  MIN_PARTITION_SIZE,
  RAID_MIN_DEVICES,
  type RaidLevel,
  raidSize,
  volumeGroupSize,
} from './sizes.ts';
import type { StorageTree, TreeFilesystem } from './storage-tree.ts';

export interface HostDisk {
  id: number;
  name: string;
  size: number;
  blockSize: number;
  tags: readonly string[];
  model: string | null;
}

/** What planning needs of a machine: firmware, architecture and its physical disks. */
export interface StorageHost extends DiskHost {
  hostname: string;
  disks: readonly HostDisk[];
  bootDiskId: number | null;
}

export function storageHost(
  m: Pick<
    MachineConfig,
    'hostname' | 'architecture' | 'bios_boot_method' | 'boot_disk' | 'physicalblockdevice_set'
  >,
): StorageHost {
  const disks = (m.physicalblockdevice_set ?? []).map((d) => ({
    id: d.id,
    name: d.name,
    size: d.size,
    blockSize: d.block_size ?? 512,
    tags: d.tags,
    model: d.model ?? null,
  }));
  // `Node.get_boot_disk`: the one set, else the lowest-id physical disk of at least 512 MiB.
  const fallback = [...disks].sort((a, b) => a.id - b.id).find((d) => d.size >= MIN_BOOT_SIZE);
  return {
    hostname: m.hostname,
    architecture: m.architecture,
    bootMethod: m.bios_boot_method ?? '',
    disks,
    bootDiskId: m.boot_disk?.id ?? fallback?.id ?? null,
  };
}

export type StorageStep =
  | { op: 'set_storage_layout'; layout: string; params: Record<string, string | number | boolean> }
  | { op: 'create_partition'; disk: string; name: string; size?: number; bootable: boolean }
  | { op: 'format'; target: string; fstype: string; label?: string }
  | { op: 'mount'; target: string; mount_point: string; mount_options?: string }
  | { op: 'create_volume_group'; name: string; block_devices: string[]; partitions: string[] }
  | { op: 'create_logical_volume'; volume_group: string; name: string; device: string; size?: number }
  | {
      op: 'create_raid';
      name: string;
      level: RaidLevel;
      block_devices: string[];
      partitions: string[];
      spare_devices: string[];
      spare_partitions: string[];
    }
  | { op: 'create_cache_set'; name: string; device: string; partition: boolean }
  | {
      op: 'create_bcache';
      name: string;
      cache_set: string;
      backing: string;
      partition: boolean;
      cache_mode: string;
    };

/** A filesystem to make, as a caller gives it. */
export interface FsRequest {
  fstype?: string | undefined;
  mount_point?: string | undefined;
  mount_options?: string | undefined;
  label?: string | undefined;
}

type Fs = TreeFilesystem & { mount_options: string | null };

interface Part {
  kind: 'part';
  name: string;
  index: number;
  size: number;
  bootable: boolean;
  fs: Fs | null;
  usedFor: string;
  disk: Disk;
}
interface Disk {
  kind: 'disk';
  host: HostDisk;
  name: string;
  size: number;
  boot: boolean;
  table: 'GPT' | null;
  parts: Part[];
  fs: Fs | null;
  usedFor: string;
}
interface Virtual {
  kind: 'raid' | 'bcache' | 'lv';
  name: string;
  size: number;
  fs: Fs | null;
  usedFor: string;
}
type Target = Disk | Part | Virtual;

interface Vg {
  name: string;
  devices: string[];
  size: number;
  lvs: Virtual[];
}

/** Absolute, no empty, `.` or `..` segments (MAAS takes `^(?:/[^/]*)*$`, 1–4095 characters). */
export function mountPointProblem(mp: string): string | undefined {
  if (mp === '/') return undefined;
  if (!mp.startsWith('/') || mp.length > 4095) return 'must be an absolute path such as /srv';
  const segs = mp.slice(1).split('/');
  if (segs.some((s) => s === '' || s === '.' || s === '..' || /\s/.test(s)))
    return 'must be a clean absolute path (no empty, "." or ".." parts, no spaces)';
  return undefined;
}

/** Names MAAS turns into `/dev/disk/by-dname/<name>` and LVM accepts. */
const DEVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,62}$/;

export class StorageDraft {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  readonly steps: StorageStep[] = [];
  /** False while a preset is drawn: MAAS makes its parts in one call, recorded by the caller. */
  recording = true;
  private readonly disks: Disk[];
  private readonly targets = new Map<string, Target>();
  private readonly vgs: Vg[] = [];
  private readonly raids: {
    name: string;
    level: RaidLevel;
    devices: string[];
    spares: string[];
    dev: Virtual;
  }[] = [];
  private readonly cacheSets: { name: string; device: string }[] = [];
  private readonly bcaches: {
    name: string;
    backing: string;
    cacheSet: string;
    mode: string;
    dev: Virtual;
  }[] = [];
  private readonly mounts = new Set<string>();

  constructor(readonly host: StorageHost) {
    this.disks = host.disks.map((d) => ({
      kind: 'disk',
      host: d,
      name: d.name,
      size: d.size,
      boot: d.id === host.bootDiskId,
      table: null,
      parts: [],
      fs: null,
      usedFor: 'Unused',
    }));
    for (const d of this.disks) this.targets.set(d.name, d);
  }

  get bootDisk(): Disk | undefined {
    return this.disks.find((d) => d.boot);
  }

  disk(name: string): Disk | undefined {
    return this.disks.find((d) => d.name === name);
  }

  target(name: string): Target | undefined {
    return this.targets.get(name);
  }

  /** Space a new partition on the disk could have now. */
  available(disk: Disk): number {
    return diskAvailable(
      this.host,
      disk.size,
      disk.parts.reduce((a, p) => a + p.size, 0),
    );
  }

  /** `size` undefined: all the space left (and the call sends no size, as MAAS takes it). */
  partition(diskName: string, size: number | undefined, bootable = false): Part | undefined {
    const disk = this.disk(diskName);
    if (!disk) return this.problem(`${diskName} is not a disk of ${this.host.hostname}`);
    if (disk.fs)
      return this.problem(`${diskName} is used whole (${disk.usedFor}); it cannot have partitions too`);
    const available = this.available(disk);
    let wanted = size === undefined ? available : alignDown(size);
    if (wanted > available && wanted - disk.host.blockSize <= available) wanted -= disk.host.blockSize;
    const index =
      disk.parts.length === 0
        ? firstPartitionIndex(this.host, { physical: true, bootDisk: disk.boot })
        : Math.max(...disk.parts.map((p) => p.index)) + 1;
    const name = `${disk.name}-part${index}`;
    if (wanted > available) {
      return this.problem(
        `${name} needs ${humanSize(wanted)} but ${disk.name} has ${humanSize(available)} left (${humanSize(disk.size)} less MAAS's partition-table overhead and the partitions before it)`,
      );
    }
    if (wanted < MIN_PARTITION_SIZE) {
      return this.problem(
        `${name} would be ${humanSize(wanted)}; MAAS's smallest partition is 4 MiB${size === undefined ? ` (${disk.name} has no space left for it)` : ''}`,
      );
    }
    disk.table = 'GPT';
    const part: Part = {
      kind: 'part',
      name,
      index,
      size: wanted,
      bootable,
      fs: null,
      usedFor: 'Unused',
      disk,
    };
    disk.parts.push(part);
    this.targets.set(name, part);
    this.record({
      op: 'create_partition',
      disk: disk.name,
      name,
      bootable,
      ...(size === undefined ? {} : { size: wanted }),
    });
    return part;
  }

  /** Formats (and mounts) a disk, partition or virtual device; checks MAAS's filesystem rules first. */
  format(targetName: string, req: FsRequest): void {
    if (!req.fstype) {
      if (req.mount_point || req.mount_options || req.label)
        this.problem(`${targetName}: mount_point, mount_options and label need an fstype`);
      return;
    }
    const t = this.free(targetName, 'format');
    if (!t) return;
    if (t.kind === 'disk' && t.boot) {
      this.problem(
        `${targetName} is the boot disk: MAAS places no filesystem directly on it — give it a partition and format that`,
      );
      return;
    }
    const swap = req.fstype === 'swap';
    let mount = req.mount_point ?? null;
    if (swap && mount && mount !== 'none') {
      this.problem(`${targetName}: swap has no mount point (leave mount_point out)`);
      return;
    }
    if (swap) mount = null;
    if (mount) {
      const why = mountPointProblem(mount);
      if (why) return void this.problem(`${targetName}: mount_point "${mount}" ${why}`);
      if (this.mounts.has(mount))
        return void this.problem(`${targetName}: ${mount} is mounted twice in this layout`);
      this.mounts.add(mount);
    } else if (req.mount_options) {
      return void this.problem(`${targetName}: mount_options need a mount_point`);
    }
    t.fs = {
      fstype: req.fstype,
      mount_point: mount,
      label: req.label ?? null,
      mount_options: req.mount_options ?? null,
    };
    t.usedFor = mount
      ? `${req.fstype} formatted filesystem mounted at ${mount}`
      : `Unmounted ${req.fstype} formatted filesystem`;
    this.record({
      op: 'format',
      target: targetName,
      fstype: req.fstype,
      ...(req.label ? { label: req.label } : {}),
    });
    if (mount)
      this.record({
        op: 'mount',
        target: targetName,
        mount_point: mount,
        ...(req.mount_options ? { mount_options: req.mount_options } : {}),
      });
  }

  volumeGroup(name: string, members: readonly string[]): Vg | undefined {
    if (!this.newName(name, 'volume group')) return undefined;
    if (this.vgs.some((v) => v.name === name)) return this.problem(`volume group ${name} is defined twice`);
    const parts = this.members(members, `volume group ${name}`, ['disk', 'part', 'raid', 'bcache']);
    if (!parts) return undefined;
    const vg: Vg = { name, devices: [...members], size: volumeGroupSize(parts.map((p) => p.size)), lvs: [] };
    for (const p of parts) this.claim(p, 'lvm-pv', `LVM volume for ${name}`);
    this.vgs.push(vg);
    this.record({
      op: 'create_volume_group',
      name,
      block_devices: parts.filter((p) => p.kind !== 'part').map((p) => p.name),
      partitions: parts.filter((p) => p.kind === 'part').map((p) => p.name),
    });
    return vg;
  }

  vgFree(vg: Vg): number {
    return vg.size - vg.lvs.reduce((a, lv) => a + lv.size, 0);
  }

  /** `size` undefined: all the group's free space. */
  logicalVolume(vg: Vg, lvName: string, size: number | undefined): string | undefined {
    const device = `${vg.name}-${lvName}`;
    if (!DEVICE_NAME.test(lvName)) {
      return this.problem(`logical volume name "${lvName}" must be letters, digits, "_", ".", "+" or "-"`);
    }
    if (this.targets.has(device)) return this.problem(`${device} is defined twice`);
    const free = this.vgFree(vg);
    const wanted = size === undefined ? free : alignDown(size);
    if (wanted > free) {
      return this.problem(
        `${device} needs ${humanSize(wanted)} but volume group ${vg.name} has ${humanSize(free)} left (${humanSize(vg.size)} after LVM's 4 MiB per physical volume)`,
      );
    }
    if (wanted < MIN_PARTITION_SIZE)
      return this.problem(`${device} would be ${humanSize(wanted)}; the smallest is 4 MiB`);
    const lv: Virtual = { kind: 'lv', name: device, size: wanted, fs: null, usedFor: 'Unused' };
    vg.lvs.push(lv);
    this.targets.set(device, lv);
    this.record({
      op: 'create_logical_volume',
      volume_group: vg.name,
      name: lvName,
      device,
      ...(size === undefined ? {} : { size: wanted }),
    });
    return device;
  }

  raid(name: string, level: RaidLevel, devices: readonly string[], spares: readonly string[]): void {
    if (!this.newName(name, 'RAID')) return;
    const min = RAID_MIN_DEVICES[level];
    if (devices.length < min || (level === 'raid-0' && spares.length > 0)) {
      return void this.problem(
        `${name}: ${level} needs at least ${min} devices${level === 'raid-0' ? ' and no spares' : ''} (got ${devices.length}${spares.length ? ` and ${spares.length} spares` : ''})`,
      );
    }
    const active = this.members(devices, `RAID ${name}`, ['disk', 'part']);
    const spare = this.members(spares, `RAID ${name}`, ['disk', 'part']);
    if (!active || !spare) return;
    for (const p of active) this.claim(p, 'raid', `Active ${level} device for ${name}`);
    for (const p of spare) this.claim(p, 'raid-spare', `Spare ${level} device for ${name}`);
    const size = raidSize(
      level,
      active.map((p) => p.size),
      spare.map((p) => p.size),
    );
    const dev: Virtual = { kind: 'raid', name, size, fs: null, usedFor: 'Unused' };
    this.targets.set(name, dev);
    this.raids.push({ name, level, devices: [...devices], spares: [...spares], dev });
    const split = (ts: Target[]) => ({
      whole: ts.filter((t) => t.kind !== 'part').map((t) => t.name),
      parts: ts.filter((t) => t.kind === 'part').map((t) => t.name),
    });
    const a = split(active);
    const s = split(spare);
    this.record({
      op: 'create_raid',
      name,
      level,
      block_devices: a.whole,
      partitions: a.parts,
      spare_devices: s.whole,
      spare_partitions: s.parts,
    });
  }

  /** A cache set on a disk or partition; answers its name (`cache<N>`, the first free N as MAAS picks it). */
  cacheSet(device: string): string | undefined {
    const [t] = this.members([device], 'a cache set', ['disk', 'part']) ?? [];
    if (!t) return undefined;
    let n = 0;
    while (this.cacheSets.some((c) => c.name === `cache${n}`)) n++;
    const name = `cache${n}`;
    this.claim(t, 'bcache-cache', `Cache device for ${name}`);
    this.cacheSets.push({ name, device });
    this.record({ op: 'create_cache_set', name, device, partition: t.kind === 'part' });
    return name;
  }

  bcache(name: string, backing: string, cacheSet: string, mode: string): void {
    if (!this.newName(name, 'bcache')) return;
    const t = this.target(backing);
    if (t?.kind === 'lv')
      return void this.problem(
        `${name}: bcache cannot use a logical volume (${backing}) as its backing device`,
      );
    const [b] = this.members([backing], `bcache ${name}`, ['disk', 'part', 'raid']) ?? [];
    if (!b) return;
    this.claim(b, 'bcache-backing', `Backing device for ${name}`);
    const dev: Virtual = { kind: 'bcache', name, size: b.size, fs: null, usedFor: 'Unused' };
    this.targets.set(name, dev);
    this.bcaches.push({ name, backing, cacheSet, mode, dev });
    this.record({
      op: 'create_bcache',
      name,
      cache_set: cacheSet,
      backing,
      partition: b.kind === 'part',
      cache_mode: mode,
    });
  }

  tree(): StorageTree {
    const fs = (f: Fs | null): TreeFilesystem | null =>
      f ? { fstype: f.fstype, mount_point: f.mount_point, label: f.label } : null;
    return {
      disks: this.disks.map((d) => ({
        name: d.name,
        size: d.size,
        boot: d.boot,
        model: d.host.model,
        tags: [...d.host.tags],
        partition_table: d.table,
        filesystem: fs(d.fs),
        used_for:
          d.table && !d.fs
            ? `${d.table} partitioned with ${d.parts.length} partition${d.parts.length === 1 ? '' : 's'}`
            : d.usedFor,
        partitions: d.parts.map((p) => ({
          name: p.name,
          size: p.size,
          bootable: p.bootable,
          filesystem: fs(p.fs),
          used_for: p.usedFor,
        })),
      })),
      volume_groups: this.vgs.map((vg) => ({
        name: vg.name,
        size: vg.size,
        free: this.vgFree(vg),
        devices: vg.devices,
        logical_volumes: vg.lvs.map((lv) => ({ name: lv.name, size: lv.size, filesystem: fs(lv.fs) })),
      })),
      raids: this.raids.map((r) => ({
        name: r.name,
        level: r.level,
        size: r.dev.size,
        devices: r.devices,
        spares: r.spares,
        filesystem: fs(r.dev.fs),
      })),
      bcaches: this.bcaches.map((b) => ({
        name: b.name,
        size: b.dev.size,
        backing: b.backing,
        cache: this.cacheSets.find((c) => c.name === b.cacheSet)?.device ?? '',
        cache_set: b.cacheSet,
        cache_mode: b.mode,
        filesystem: fs(b.dev.fs),
      })),
    };
  }

  problem(message: string): undefined {
    this.problems.push(message);
    return undefined;
  }

  private record(step: StorageStep): void {
    if (this.recording) this.steps.push(step);
  }

  private newName(name: string, what: string): boolean {
    if (!DEVICE_NAME.test(name)) {
      this.problem(`${what} name "${name}" must be letters, digits, "_", ".", "+" or "-" (at most 63)`);
      return false;
    }
    if (this.targets.has(name)) {
      this.problem(`${what} name ${name} is already a device name on ${this.host.hostname}`);
      return false;
    }
    return true;
  }

  /** A device nothing else uses yet. */
  private free(name: string, use: string): Target | undefined {
    const t = this.targets.get(name);
    if (!t)
      return this.problem(
        `${name} (to ${use}) is not a disk of ${this.host.hostname} nor made by this layout`,
      );
    if (t.fs) return this.problem(`${name} is used twice (already: ${t.usedFor})`);
    if (t.kind === 'disk' && t.parts.length > 0)
      return this.problem(
        `${name} has partitions; use one of them (${t.parts.map((p) => p.name).join(', ')}) instead`,
      );
    return t;
  }

  private members(
    names: readonly string[],
    what: string,
    kinds: readonly Target['kind'][],
  ): Target[] | undefined {
    const out: Target[] = [];
    let ok = true;
    for (const n of names) {
      const t = this.free(n, `join ${what}`);
      if (!t) ok = false;
      else if (!kinds.includes(t.kind)) {
        this.problem(
          `${n} cannot be in ${what} (a ${t.kind === 'lv' ? 'logical volume' : t.kind} is not accepted there)`,
        );
        ok = false;
      } else if (out.includes(t)) {
        this.problem(`${n} is listed twice in ${what}`);
        ok = false;
      } else out.push(t);
    }
    return ok ? out : undefined;
  }

  private claim(t: Target, fstype: string, usedFor: string): void {
    t.fs = { fstype, mount_point: null, label: null, mount_options: null };
    t.usedFor = usedFor;
  }
}

/** One line for a step, as a preview lists the calls. */
export function describeStep(s: StorageStep): string {
  switch (s.op) {
    case 'set_storage_layout': {
      const params = Object.entries(s.params).map(([k, v]) => `${k}=${v}`);
      return `set storage layout ${s.layout}${params.length ? ` (${params.join(', ')})` : ''}`;
    }
    case 'create_partition':
      return `create partition ${s.name} on ${s.disk}, ${s.size === undefined ? 'all the space left' : humanSize(s.size)}${s.bootable ? ', bootable' : ''}`;
    case 'format':
      return `format ${s.target} ${s.fstype}${s.label ? ` (label ${s.label})` : ''}`;
    case 'mount':
      return `mount ${s.target} at ${s.mount_point}${s.mount_options ? ` (${s.mount_options})` : ''}`;
    case 'create_volume_group':
      return `create volume group ${s.name} on ${[...s.block_devices, ...s.partitions].join(', ')}`;
    case 'create_logical_volume':
      return `create logical volume ${s.device}, ${s.size === undefined ? 'all the space left' : humanSize(s.size)}`;
    case 'create_raid':
      return `create ${s.level} ${s.name} on ${[...s.block_devices, ...s.partitions].join(', ')}${s.spare_devices.length + s.spare_partitions.length ? ` with spares ${[...s.spare_devices, ...s.spare_partitions].join(', ')}` : ''}`;
    case 'create_cache_set':
      return `create cache set ${s.name} on ${s.device}`;
    case 'create_bcache':
      return `create bcache ${s.name}: backing ${s.backing}, cache set ${s.cache_set} (${s.cache_mode})`;
  }
}
