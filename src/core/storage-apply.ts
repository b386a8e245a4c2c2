/**
 * Runs a storage plan's MAAS calls in order, turning the plan's names into the ids MAAS answers with. When a call
 * fails part-way, the machine is put back to a blank layout, so the same call can simply be made again, and the
 * result says exactly what had been applied.
 */
import type { MaasTransport } from '../maas/calls.ts';
import {
  createBcache,
  createCacheSet,
  createLogicalVolume,
  createPartition,
  createRaid,
  createVolumeGroup,
  type FormatTarget,
  formatTarget,
  mountTarget,
  setStorageLayout,
} from '../maas/storage.ts';
import { describeError } from './errors.ts';
import { describeStep, type StorageHost, type StorageStep } from './storage-plan.ts';

export interface StorageApplyResult {
  /** Each step MAAS carried out, in words. */
  applied: string[];
  /** The step that failed and MAAS's reason; absent when every step ran. */
  failed?: { step: string; error: string };
  /**
   * After a failure part-way: `blank` when the machine was put back to a blank layout (run the same call again),
   * `failed` when that did not work either (see `resetError`), absent when nothing had been applied.
   */
  reset?: 'blank' | 'failed';
  resetError?: string;
}

interface Ids {
  targets: Map<string, FormatTarget>;
  volumeGroups: Map<string, number>;
  cacheSets: Map<string, number>;
}

export async function applyStoragePlan(
  http: MaasTransport,
  systemId: string,
  host: StorageHost,
  steps: readonly StorageStep[],
  opts: { signal?: AbortSignal | undefined } = {},
): Promise<StorageApplyResult> {
  const ids: Ids = {
    targets: new Map(host.disks.map((d) => [d.name, { deviceId: d.id }])),
    volumeGroups: new Map(),
    cacheSets: new Map(),
  };
  const applied: string[] = [];
  for (const step of steps) {
    try {
      await run(http, systemId, step, ids, opts.signal);
      applied.push(describeStep(step));
    } catch (err) {
      const result: StorageApplyResult = {
        applied,
        failed: { step: describeStep(step), error: describeError(err) },
      };
      if (applied.length === 0 || opts.signal?.aborted) return result;
      try {
        await setStorageLayout(http, systemId, 'blank', {}, { signal: opts.signal });
        result.reset = 'blank';
      } catch (resetErr) {
        result.reset = 'failed';
        result.resetError = describeError(resetErr);
      }
      return result;
    }
  }
  return { applied };
}

function target(ids: Ids, name: string): FormatTarget {
  const t = ids.targets.get(name);
  if (!t) throw new Error(`the plan names ${name} before making it`);
  return t;
}

/** Whole devices as block-device ids, partitions as partition ids: what the group forms take. */
function split(ids: Ids, names: readonly string[]): { whole: number[]; parts: number[] } {
  const whole: number[] = [];
  const parts: number[] = [];
  for (const n of names) {
    const t = target(ids, n);
    if (t.partitionId === undefined) whole.push(t.deviceId);
    else parts.push(t.partitionId);
  }
  return { whole, parts };
}

async function run(
  http: MaasTransport,
  sid: string,
  step: StorageStep,
  ids: Ids,
  signal: AbortSignal | undefined,
): Promise<void> {
  const o = { signal };
  switch (step.op) {
    case 'set_storage_layout':
      return setStorageLayout(http, sid, step.layout, step.params, o);
    case 'create_partition': {
      const disk = target(ids, step.disk);
      const p = await createPartition(
        http,
        sid,
        disk.deviceId,
        { size: step.size, bootable: step.bootable },
        o,
      );
      ids.targets.set(step.name, { deviceId: disk.deviceId, partitionId: p.id });
      return;
    }
    case 'format':
      return formatTarget(http, sid, target(ids, step.target), { fstype: step.fstype, label: step.label }, o);
    case 'mount':
      return mountTarget(
        http,
        sid,
        target(ids, step.target),
        { mount_point: step.mount_point, mount_options: step.mount_options },
        o,
      );
    case 'create_volume_group': {
      const m = split(ids, [...step.block_devices, ...step.partitions]);
      const vg = await createVolumeGroup(
        http,
        sid,
        { name: step.name, block_devices: m.whole, partitions: m.parts },
        o,
      );
      ids.volumeGroups.set(step.name, vg.id);
      return;
    }
    case 'create_logical_volume': {
      const vg = ids.volumeGroups.get(step.volume_group);
      if (vg === undefined)
        throw new Error(`the plan names volume group ${step.volume_group} before making it`);
      const lv = await createLogicalVolume(http, sid, vg, { name: step.name, size: step.size }, o);
      ids.targets.set(step.device, { deviceId: lv.id });
      return;
    }
    case 'create_raid': {
      const a = split(ids, [...step.block_devices, ...step.partitions]);
      const s = split(ids, [...step.spare_devices, ...step.spare_partitions]);
      const raid = await createRaid(
        http,
        sid,
        {
          name: step.name,
          level: step.level,
          block_devices: a.whole,
          partitions: a.parts,
          spare_devices: s.whole,
          spare_partitions: s.parts,
        },
        o,
      );
      if (!raid.virtual_device) throw new Error(`MAAS made RAID ${step.name} without its device`);
      ids.targets.set(step.name, { deviceId: raid.virtual_device.id });
      return;
    }
    case 'create_cache_set': {
      const t = target(ids, step.device);
      const set = await createCacheSet(
        http,
        sid,
        t.partitionId === undefined ? { cache_device: t.deviceId } : { cache_partition: t.partitionId },
        o,
      );
      ids.cacheSets.set(step.name, set.id);
      return;
    }
    case 'create_bcache': {
      const t = target(ids, step.backing);
      const cacheSet = ids.cacheSets.get(step.cache_set);
      if (cacheSet === undefined)
        throw new Error(`the plan names cache set ${step.cache_set} before making it`);
      const backing =
        t.partitionId === undefined ? { backing_device: t.deviceId } : { backing_partition: t.partitionId };
      const b = await createBcache(
        http,
        sid,
        { name: step.name, cache_set: cacheSet, cache_mode: step.cache_mode, ...backing },
        o,
      );
      if (!b.virtual_device) throw new Error(`MAAS made bcache ${step.name} without its device`);
      ids.targets.set(step.name, { deviceId: b.virtual_device.id });
      return;
    }
  }
}
