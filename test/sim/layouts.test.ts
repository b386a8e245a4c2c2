/**
 * `set_storage_layout` and the default layout (MAAS `maasserver/storage_layouts.py`, `maasserver/api/machines.py`
 * `MachineHandler.set_storage_layout`, `maasserver/models/node.py` `set_default_storage_layout`,
 * `retrieve_storage_layout_issues`): what each layout builds, its parameters and their limits, and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { createSimulator, SimStatus as S, type Simulator } from '../../src/sim/index.ts';
import { answer, req, sid } from './helpers.ts';

interface Fs {
  fstype: string;
  label: string | null;
  mount_point: string | null;
}
interface Part {
  id: number;
  size: number;
  path: string;
  bootable: boolean;
  filesystem: Fs | null;
  used_for: string;
}
interface Dev {
  id: number;
  name: string;
  size: number;
  type: string;
  tags: string[];
  partitions: Part[];
  filesystem: Fs | null;
  partition_table_type: string | null;
  used_for: string;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const setLayout = (sim: Simulator, host: string, form: Record<string, string>) =>
  req(sim, sim.users.admin, 'POST', `machines/${sid(sim, host)}/?op=set_storage_layout`, form);

async function disks(sim: Simulator, host: string): Promise<Dev[]> {
  return (await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, host)}/blockdevices/`)).json<Dev[]>();
}

const describePart = (p: Part) => [
  p.path.split('/').pop(),
  p.size,
  p.bootable,
  p.filesystem?.fstype,
  p.filesystem?.mount_point,
];

describe('set_storage_layout', () => {
  it('flat: an EFI partition and an ext4 root on the boot disk, no /boot unless asked', async () => {
    const sim = createSimulator();
    const res = await setLayout(sim, 'web-01', { storage_layout: 'flat' });
    expect(res.status).toBe(200);
    const [boot] = await disks(sim, 'web-01');
    const rest = Math.floor((boot?.size ?? 0) / (4 * MiB) - 512 / 4 - 5 / 4) * 4 * MiB;
    expect(boot?.partitions.map(describePart)).toEqual([
      [`${boot?.name}-part1`, 512 * MiB, true, 'fat32', '/boot/efi'],
      [
        `${boot?.name}-part2`,
        Math.floor(((boot?.size ?? 0) - 5 * MiB - 512 * MiB) / (4 * MiB)) * 4 * MiB,
        false,
        'ext4',
        '/',
      ],
    ]);
    expect(rest).toBeGreaterThan(0);
    await setLayout(sim, 'web-01', { storage_layout: 'flat', boot_size: '1G', root_size: '20G' });
    const [again] = await disks(sim, 'web-01');
    expect(again?.partitions.map(describePart)).toEqual([
      [`${boot?.name}-part1`, 512 * MiB, true, 'fat32', '/boot/efi'],
      [`${boot?.name}-part2`, Math.floor(1e9 / (4 * MiB)) * 4 * MiB, true, 'ext4', '/boot'],
      [`${boot?.name}-part3`, Math.floor(20e9 / (4 * MiB)) * 4 * MiB, false, 'ext4', '/'],
    ]);
    expect(again?.partitions[1]?.filesystem?.label).toBe('boot');
  });

  it('lvm: the root partition is the PV of vgroot, whose lvroot holds ext4 /; every name and size is a parameter', async () => {
    const sim = createSimulator();
    await setLayout(sim, 'web-01', { storage_layout: 'lvm' });
    let all = await disks(sim, 'web-01');
    const lv = all.find((d) => d.type === 'virtual');
    expect([lv?.name, lv?.filesystem?.fstype, lv?.filesystem?.mount_point, lv?.filesystem?.label]).toEqual([
      'vgroot-lvroot',
      'ext4',
      '/',
      'root',
    ]);
    const pv = all[0]?.partitions[1] as Part;
    // The whole VG: the partition's extents less one for LVM's metadata.
    expect(lv?.size).toBe(Math.floor(pv.size / (4 * MiB)) * 4 * MiB - 4 * MiB);
    expect(pv.used_for).toBe('LVM volume for vgroot');
    await setLayout(sim, 'web-01', {
      storage_layout: 'lvm',
      vg_name: 'vg-main',
      lv_name: 'root',
      lv_size: '50G',
    });
    all = await disks(sim, 'web-01');
    const named = all.find((d) => d.type === 'virtual');
    expect([named?.name, named?.size]).toEqual(['vg-main-root', Math.floor(50e9 / (4 * MiB)) * 4 * MiB]);
    const vgs = (await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, 'web-01')}/volume-groups/`)).json<
      { name: string }[]
    >();
    expect(vgs.map((g) => g.name)).toEqual(['vg-main']);
  });

  it('bcache: /boot of 1 GiB by default, the smallest other ssd as a writethrough cache, the root partition as backing', async () => {
    const sim = createSimulator();
    const before = await disks(sim, 'web-02');
    expect((await setLayout(sim, 'web-02', { storage_layout: 'bcache' })).status).toBe(200);
    const [boot, cache] = await disks(sim, 'web-02');
    expect(boot?.partitions.map((p) => [p.filesystem?.fstype, p.filesystem?.mount_point, p.size])).toEqual([
      ['fat32', '/boot/efi', 512 * MiB],
      ['ext4', '/boot', GiB],
      ['bcache-backing', null, expect.any(Number)],
    ]);
    expect(cache?.partitions.map((p) => p.used_for)).toEqual(['Cache device for cache0']);
    const bcaches = (await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, 'web-02')}/bcaches/`)).json<
      { name: string; cache_mode: string; virtual_device: Dev }[]
    >();
    expect(bcaches.map((b) => [b.name, b.cache_mode, b.virtual_device.filesystem?.mount_point])).toEqual([
      ['bcache0', 'writethrough', '/'],
    ]);
    await setLayout(sim, 'web-02', {
      storage_layout: 'bcache',
      cache_device: String(before[1]?.id),
      cache_no_part: 'true',
      cache_mode: 'writeback',
    });
    const [, whole] = await disks(sim, 'web-02');
    expect([whole?.partition_table_type, whole?.used_for]).toEqual([null, 'Cache device for cache0']);
  });

  it('bcache without an ssd to cache on is refused (no fallback through the API)', async () => {
    const sim = createSimulator();
    const res = await setLayout(sim, 'web-01', { storage_layout: 'bcache' });
    expect(answer(res)).toEqual([
      400,
      "Failed to configure storage layout 'bcache': Node doesn't have an available cache device to setup bcache.",
    ]);
  });

  it('blank: clears everything, and the machine then cannot deploy', async () => {
    const sim = createSimulator();
    expect((await setLayout(sim, 'db-02', { storage_layout: 'blank' })).status).toBe(200);
    const all = await disks(sim, 'db-02');
    expect(all.map((d) => [d.type, d.partition_table_type, d.used_for])).toEqual(
      all.map(() => ['physical', null, 'Unused']),
    );
    const deploy = await req(sim, sim.users.admin, 'POST', `machines/${sid(sim, 'db-02')}/?op=deploy`);
    expect(answer(deploy)).toEqual([
      400,
      `{"storage": ["Mount the root '/' filesystem to be able to deploy this node."]}`,
    ]);
    // The refused deploy rolled back its allocation.
    const m = (await req(sim, sim.users.admin, 'GET', `machines/${sid(sim, 'db-02')}/`)).json<{
      status_name: string;
      owner: null;
    }>();
    expect([m.status_name, m.owner]).toEqual(['Ready', null]);
  });

  it('vmfs6 and vmfs7: the fixed ESXi partitions and a datastore1 VMFS, on a large enough boot disk', async () => {
    const sim = createSimulator();
    expect((await setLayout(sim, 'web-01', { storage_layout: 'vmfs6' })).status).toBe(200);
    const [boot] = await disks(sim, 'web-01');
    expect(boot?.partitions.map((p) => p.path.split('-').pop())).toEqual([
      'part1',
      'part2',
      'part3',
      'part5',
      'part6',
      'part7',
      'part8',
      'part9',
    ]);
    expect(boot?.partitions[2]?.used_for).toBe('VMFS extent for datastore1');
    const id = sid(sim, 'web-01');
    const del = await req(
      sim,
      sim.users.admin,
      'DELETE',
      `nodes/${id}/blockdevices/${boot?.id}/partition/${boot?.partitions[0]?.id}`,
    );
    expect(answer(del)).toEqual([
      400,
      'VMware ESXi partitions may not be removed. To remove select a different storage layout.',
    ]);
    const small = await req(sim, sim.users.admin, 'POST', `nodes/${id}/blockdevices/`, {
      name: 'sdk',
      size: '20000000000',
      block_size: '512',
      id_path: '/dev/disk/by-id/small',
    });
    await req(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${id}/blockdevices/${small.json<Dev>().id}/?op=set_boot_disk`,
    );
    expect(answer(await setLayout(sim, 'web-01', { storage_layout: 'vmfs7' }))).toEqual([
      400,
      '{"boot_size": ["Boot disk must be at least 32Gb."]}',
    ]);
  });

  it('custom: no commissioning script wrote a layout, so there is none to apply', async () => {
    const sim = createSimulator();
    expect(answer(await setLayout(sim, 'web-01', { storage_layout: 'custom' }))).toEqual([
      400,
      "Failed to configure storage layout 'custom': No custom storage layout configuration found",
    ]);
  });

  it("checks sizes against the boot disk with MAAS's texts, and root_device against the physical disks", async () => {
    const sim = createSimulator();
    const [boot, other] = await disks(sim, 'web-02');
    const size = boot?.size ?? 0;
    const cases: [Record<string, string>, string][] = [
      [{ boot_size: '100M' }, '{"boot_size": ["Size is too small. Minimum size is 536870912."]}'],
      [
        { boot_size: String(size) },
        `{"boot_size": ["Size is too large. Maximum size is ${size - 512 * MiB - 3 * GiB}."]}`,
      ],
      [{ root_size: '1G' }, '{"root_size": ["Size is too small. Minimum size is 3221225472."]}'],
      [
        { boot_size: String(size - 512 * MiB - 3 * GiB), root_size: '4G' },
        '{"__all__": ["Size of the boot partition and root partition are larger than the available space on the boot disk."]}',
      ],
      [
        { root_device: '999' },
        `{"root_device": ["'999' is not a valid root_device.  It should be one of: '${boot?.id}', '${other?.id}'."]}`,
      ],
      [
        { storage_layout: 'lvm', lv_size: '1G' },
        '{"lv_size": ["Size is too small. Minimum size is 3221225472."]}',
      ],
    ];
    for (const [form, text] of cases) {
      expect(
        answer(await setLayout(sim, 'web-02', { storage_layout: 'flat', ...form })),
        JSON.stringify(form),
      ).toEqual([400, text]);
    }
    const pct = await setLayout(sim, 'web-02', { storage_layout: 'flat', root_size: '50%' });
    expect(pct.status).toBe(200);
    const [after] = await disks(sim, 'web-02');
    expect(after?.partitions[1]?.size).toBe(
      Math.floor(Math.floor((size - 512 * MiB) * 0.5) / (4 * MiB)) * 4 * MiB,
    );
    const onOther = await setLayout(sim, 'web-02', {
      storage_layout: 'flat',
      root_device: String(other?.id),
    });
    expect(onOther.status).toBe(200);
    const [b2, o2] = await disks(sim, 'web-02');
    expect([b2?.partitions.length, o2?.partitions[0]?.filesystem?.mount_point]).toEqual([1, '/']);
  });

  it('refuses a missing or unknown layout, a machine off Ready, a non-admin, and a machine without disks', async () => {
    const sim = createSimulator();
    expect(answer(await setLayout(sim, 'web-01', {}))).toEqual([
      400,
      '{"storage_layout": ["This field is required."]}',
    ]);
    expect(answer(await setLayout(sim, 'web-01', { storage_layout: 'zfs' }))).toEqual([
      400,
      `{"storage_layout": ["'zfs' is not a valid storage_layout.  It should be one of: 'bcache', 'blank', 'custom', 'flat', 'lvm', 'vmfs6', 'vmfs7'."]}`,
    ]);
    expect(answer(await setLayout(sim, 'web-05', { storage_layout: 'flat' }))).toEqual([
      409,
      'Cannot change the storage layout on a machine that is not Ready.',
    ]);
    const op = await req(
      sim,
      sim.users.operator,
      'POST',
      `machines/${sid(sim, 'web-01')}/?op=set_storage_layout`,
      { storage_layout: 'flat' },
    );
    expect(answer(op)).toEqual([403, '']);
    const id = sid(sim, 'web-01');
    for (const d of await disks(sim, 'web-01'))
      await req(sim, sim.users.admin, 'DELETE', `nodes/${id}/blockdevices/${d.id}/`);
    expect(answer(await setLayout(sim, 'web-01', { storage_layout: 'flat' }))).toEqual([
      400,
      'Machine is missing a boot disk; no storage layout can be applied.',
    ]);
  });
});

describe('the default layout', () => {
  it('restore_storage_configuration puts back flat, and answers 200 even for a machine without disks', async () => {
    const sim = createSimulator();
    await setLayout(sim, 'db-02', { storage_layout: 'blank' });
    const restored = await req(
      sim,
      sim.users.admin,
      'POST',
      `machines/${sid(sim, 'db-02')}/?op=restore_storage_configuration`,
    );
    expect(restored.status).toBe(200);
    const [boot] = await disks(sim, 'db-02');
    expect(boot?.partitions.map((p) => p.filesystem?.mount_point)).toEqual(['/boot/efi', '/']);
    const id = sid(sim, 'web-01');
    for (const d of await disks(sim, 'web-01'))
      await req(sim, sim.users.admin, 'DELETE', `nodes/${id}/blockdevices/${d.id}/`);
    expect(
      (await req(sim, sim.users.admin, 'POST', `machines/${id}/?op=restore_storage_configuration`)).status,
    ).toBe(200);
    sim.control.setMachine('web-01', { status: S.ALLOCATED, owner: 'admin' });
    expect(
      answer(await req(sim, sim.users.admin, 'POST', `machines/${id}/?op=restore_storage_configuration`)),
    ).toEqual([409, 'Machine must be in a ready or failed testing state to restore storage configuration.']);
  });

  it('commissioning lays out the discovered disks flat', async () => {
    const sim = createSimulator();
    await req(sim, sim.users.admin, 'POST', `machines/${sid(sim, 'new-01')}/?op=commission`, {
      testing_scripts: 'none',
    });
    await sim.control.settle();
    const [boot] = await disks(sim, 'new-01');
    expect(boot?.partitions.map((p) => p.filesystem?.mount_point)).toEqual(['/boot/efi', '/']);
  });
});
