/**
 * The one boot setting MAAS has: which disk a machine boots from (MAAS `maasserver/api/blockdevices.py`
 * `set_boot_disk`, `maasserver/models/node.py` `Node.clean_boot_disk`). MAAS sets no firmware boot order: it
 * network-boots machines itself, through their BMC, at every power-on.
 */
import * as z from 'zod/v4';
import { defineMachineAction } from '../core/actions.ts';
import { resolveMachines } from '../core/targets.ts';
import type { BlockDevice } from '../maas/schemas.ts';
import { NodeStatus as S } from '../maas/status.ts';
import { machinesRef } from './common.ts';

interface Disks {
  devices: BlockDevice[];
  bootId: number | null;
}

/** A disk named as a person names it: sda, /dev/sda, or its id. */
function matchDisk(devices: readonly BlockDevice[], word: string): BlockDevice | undefined {
  const w = word.trim().replace(/^\/dev\//, '');
  return devices.find((d) => d.name === w || d.path === word || d.path === `/dev/${w}` || String(d.id) === w);
}

export const machineBootDisk = defineMachineAction({
  name: 'machine_boot_disk',
  title: 'Choose the boot disk',
  description:
    'Choose the disk Ready machines boot from and install to. A filesystem on that whole disk is removed; redo the layout with machine_storage_layout. (MAAS network-boots machines: there is no firmware boot order.)',
  toolset: 'machines',
  minRole: 'admin',
  destructive: true,
  idempotent: true,
  verb: 'boot-disk',
  maasAdmin: true,
  input: z.object({
    machines: machinesRef,
    disk: z.string().min(1).describe('Name (sda), path (/dev/sda) or id'),
  }),
  // Each machine's disks and current boot disk, read once for the call (MachineSummary carries neither).
  async load(args, { deps, signal }) {
    const out = new Map<string, Disks>();
    const { machines } = await resolveMachines(deps.maas, args.machines, signal);
    for (const m of machines) {
      const full = await deps.maas.getMachine(m.system_id, { storage: true }, { signal });
      out.set(m.system_id, {
        devices: full.physicalblockdevice_set ?? [],
        bootId: full.boot_disk?.id ?? null,
      });
    }
    return out;
  },
  check(m, a, env) {
    const disks = env.loaded.get(m.system_id);
    const disk = disks && matchDisk(disks.devices, a.disk);
    if (!disk) {
      const names = disks?.devices.map((d) => d.name).join(', ') || 'none known';
      return { refuse: `${m.hostname} has no physical disk "${a.disk}" (it has ${names})` };
    }
    if (disks.bootId === disk.id) return { skip: `already boots from ${disk.name}` };
    if (m.status !== S.READY) {
      return {
        refuse: `cannot set the boot disk of ${m.hostname}: it is ${m.status_name}, and MAAS needs it Ready`,
      };
    }
    const fs = disk.filesystem?.fstype
      ? ` (the ${disk.filesystem.fstype} filesystem directly on it is removed)`
      : '';
    return { run: `boot from ${disk.name}${fs}` };
  },
  async perform(m, a, { deps, signal }, loaded) {
    const disk = matchDisk(loaded.get(m.system_id)?.devices ?? [], a.disk) as BlockDevice;
    await deps.maas.setBootDisk(m.system_id, disk.id, { signal });
    return m;
  },
});
