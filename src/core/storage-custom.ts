/**
 * A `custom` layout: the caller's declarative tree drawn on a blank machine, in the order MAAS needs — partitions,
 * RAIDs, bcaches, then volume groups and their logical volumes — with every filesystem right after its device.
 */
import { alignDown, parseSize } from './sizes.ts';
import type { StorageDraft } from './storage-plan.ts';
import type { SpecFs, StorageSpec } from './storage-spec.ts';

type Sized = { size: string | number };

/**
 * Sizes for items where at most one is `rest`: `rest` gets what `room` leaves after the others (each rounded down
 * to MAAS's 4 MiB). A trailing `rest` is sent without a size, so MAAS gives it all that is left.
 */
function sizes(
  items: readonly Sized[],
  room: number,
  where: string,
  draft: StorageDraft,
): (number | undefined)[] | undefined {
  const rests = items.filter((i) => i.size === 'rest').length;
  if (rests > 1) return draft.problem(`${where}: only one size can be "rest" (got ${rests})`);
  const fixed = items.map((i) => (i.size === 'rest' ? 0 : alignDown(parseSize(i.size) ?? 0)));
  const rest = Math.max(0, alignDown(room - fixed.reduce((a, b) => a + b, 0)));
  return items.map((i, n) => {
    if (i.size !== 'rest') return fixed[n];
    return n === items.length - 1 ? undefined : rest;
  });
}

/** The filesystem fields of a spec item, or nothing when it has none. */
function fsOf(item: SpecFs) {
  return {
    fstype: item.fstype,
    mount_point: item.mount_point,
    mount_options: item.mount_options,
    label: item.label,
  };
}

/**
 * The boot disk joins a group only through a partition: MAAS makes one spanning it (for a RAID, for every whole-disk
 * member too: `CreateRaidForm.save`). Doing it here keeps the names in the preview what MAAS will show.
 */
function throughPartitions(draft: StorageDraft, names: readonly string[], allOfThem: boolean): string[] {
  const boot = draft.bootDisk;
  const hasBoot = names.some((n) => n === boot?.name);
  if (!hasBoot) return [...names];
  return names.map((n) => {
    const disk = draft.disk(n);
    const convert = disk && disk.parts.length === 0 && !disk.fs && (allOfThem || disk.boot);
    if (!convert) return n;
    const part = draft.partition(n, undefined);
    if (part && disk.boot) {
      draft.warnings.push(
        `MAAS puts the boot disk ${n} in a group only through a partition: ${part.name} spans it`,
      );
    }
    return part?.name ?? n;
  });
}

export function planCustom(draft: StorageDraft, spec: StorageSpec): void {
  const seen = new Set<string>();
  for (const d of spec.disks ?? []) {
    if (seen.has(d.name)) {
      draft.problem(`disk ${d.name} is listed twice in spec.disks`);
      continue;
    }
    seen.add(d.name);
    const disk = draft.disk(d.name);
    if (!disk) {
      draft.problem(
        `spec.disks: ${d.name} is not a disk of ${draft.host.hostname} (it has ${draft.host.disks.map((x) => x.name).join(', ') || 'none'})`,
      );
      continue;
    }
    if (d.partitions?.length) {
      if (d.fstype) draft.problem(`spec.disks ${d.name}: a disk has partitions or a filesystem, not both`);
      const planned = sizes(d.partitions, draft.available(disk), `disk ${d.name}`, draft);
      if (!planned) continue;
      d.partitions.forEach((p, i) => {
        const part = draft.partition(d.name, planned[i], p.bootable ?? false);
        if (part) draft.format(part.name, fsOf(p));
      });
    } else if (d.fstype) {
      draft.format(d.name, fsOf(d));
    } else {
      draft.problem(
        `spec.disks ${d.name}: give it partitions or an fstype (a disk used whole in a group is named only there)`,
      );
    }
  }
  for (const r of spec.raids ?? []) {
    const spares = r.spares ?? [];
    const members = throughPartitions(draft, [...r.devices, ...spares], true);
    draft.raid(r.name, r.level, members.slice(0, r.devices.length), members.slice(r.devices.length));
    if (draft.target(r.name)) draft.format(r.name, fsOf(r));
  }
  const lvs = new Set(
    (spec.volume_groups ?? []).flatMap((v) => (v.logical_volumes ?? []).map((lv) => `${v.name}-${lv.name}`)),
  );
  for (const b of spec.bcaches ?? []) {
    if (lvs.has(b.backing)) {
      draft.problem(`${b.name}: bcache cannot use a logical volume (${b.backing}) as its backing device`);
      continue;
    }
    const [backing, cache] = throughPartitions(draft, [b.backing, b.cache], false) as [string, string];
    const set = draft.cacheSet(cache);
    if (!set) continue;
    draft.bcache(b.name, backing, set, b.cache_mode ?? 'writethrough');
    if (draft.target(b.name)) draft.format(b.name, fsOf(b));
  }
  for (const v of spec.volume_groups ?? []) {
    const vg = draft.volumeGroup(v.name, throughPartitions(draft, v.devices, false));
    if (!vg) continue;
    const lvs = v.logical_volumes ?? [];
    const planned = sizes(lvs, draft.vgFree(vg), `volume group ${v.name}`, draft);
    if (!planned) continue;
    lvs.forEach((lv, i) => {
      const device = draft.logicalVolume(vg, lv.name, planned[i]);
      if (device) draft.format(device, fsOf(lv));
    });
  }
}
