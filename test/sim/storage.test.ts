/**
 * Block devices and partitions against MAAS 3.7.3: sizes, alignment and overheads (MAAS
 * `maasserver/models/partitiontable.py`, `partition.py`), partition numbering, format/mount rules
 * (`maasserver/forms/__init__.py`, `maasserver/forms/filesystem.py`, `maasserver/models/filesystem.py`), and the
 * permission and status gates with their exact texts (`maasserver/api/blockdevices.py`, `partitions.py`).
 */
import { describe, expect, it } from 'vitest';
import { createSimulator, SimStatus as S, type Simulator } from '../../src/sim/index.ts';
import { answer, req, sid } from './helpers.ts';

interface Part {
  id: number;
  size: number;
  path: string;
  bootable: boolean;
  used_for: string;
  filesystem: {
    fstype: string;
    label: string | null;
    mount_point: string | null;
    uuid: string | null;
  } | null;
  tags: string[];
}
interface Dev {
  id: number;
  name: string;
  size: number;
  type: string;
  available_size: number;
  used_size: number;
  used_for: string;
  partition_table_type: string | null;
  filesystem: Part['filesystem'];
  partitions: Part[];
  path: string;
  block_size: number;
  uuid: string | null;
  tags: string[];
  model: string | null;
}

const MiB = 1024 * 1024;

async function devices(sim: Simulator, host: string): Promise<Dev[]> {
  return (await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, host)}/blockdevices/`)).json<Dev[]>();
}

/** A 100 GB (10¹¹ bytes) disk added to the machine through the API, as the worked example in MAAS's storage model. */
async function addDisk(sim: Simulator, host: string, name = 'sdz', size = '100000000000'): Promise<Dev> {
  const a = await req(sim, sim.users.admin, 'POST', `nodes/${sid(sim, host)}/blockdevices/`, {
    name,
    size,
    block_size: '512',
    model: 'QEMU HARDDISK',
    serial: `QM-${name}`,
  });
  expect(a.status, a.text).toBe(200);
  return a.json<Dev>();
}

const layout = (sim: Simulator, host: string, form: Record<string, string>) =>
  req(sim, sim.users.admin, 'POST', `machines/${sid(sim, host)}/?op=set_storage_layout`, form);

describe('sizes, alignment and overheads (MAAS `maasserver/models/partitiontable.py`)', () => {
  it('gives a new 100 GB disk on a UEFI amd64 machine 99 992 207 360 bytes, and flat a 99 455 336 448-byte root after the EFI partition', async () => {
    const sim = createSimulator();
    const disk = await addDisk(sim, 'web-01');
    expect(disk).toMatchObject({
      name: 'sdz',
      type: 'physical',
      size: 100_000_000_000,
      available_size: 99_992_207_360,
      used_size: 0,
      used_for: 'Unused',
      partition_table_type: null,
      path: '/dev/disk/by-dname/sdz',
    });
    const id = sid(sim, 'web-01');
    const boot = await req(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${id}/blockdevices/${disk.id}/?op=set_boot_disk`,
    );
    expect([boot.status, boot.type, boot.text]).toEqual([200, 'text/plain; charset=utf-8', 'OK']);
    expect((await layout(sim, 'web-01', { storage_layout: 'flat' })).status).toBe(200);
    const sdz = (await devices(sim, 'web-01')).find((d) => d.name === 'sdz') as Dev;
    expect(sdz.partition_table_type).toBe('GPT');
    expect(
      sdz.partitions.map((p) => [
        p.path,
        p.size,
        p.bootable,
        p.filesystem?.fstype,
        p.filesystem?.mount_point,
        p.filesystem?.label,
      ]),
    ).toEqual([
      ['/dev/disk/by-dname/sdz-part1', 512 * MiB, true, 'fat32', '/boot/efi', 'efi'],
      ['/dev/disk/by-dname/sdz-part2', 99_455_336_448, false, 'ext4', '/', 'root'],
    ]);
    expect(sdz).toMatchObject({ available_size: 0, used_for: 'GPT partitioned with 2 partitions' });
  });

  it('pays one more MiB for bios_grub on a BIOS amd64 machine and numbers its first partition 2 (MAAS `Partition._get_partition_number`)', async () => {
    const sim = createSimulator();
    const disk = await addDisk(sim, 'web-01');
    sim.control.setMachine('web-01', { biosBootMethod: 'pxe' });
    const id = sid(sim, 'web-01');
    await req(sim, sim.users.admin, 'POST', `nodes/${id}/blockdevices/${disk.id}/?op=set_boot_disk`);
    expect((await layout(sim, 'web-01', { storage_layout: 'flat' })).status).toBe(200);
    const sdz = (await devices(sim, 'web-01')).find((d) => d.name === 'sdz') as Dev;
    expect(sdz.partitions.map((p) => [p.path, p.size, p.filesystem?.mount_point])).toEqual([
      ['/dev/disk/by-dname/sdz-part2', 99_992_207_360, '/'],
    ]);
  });

  it('rounds a partition down to 4 MiB, reads SI suffixes as powers of ten, and takes all free space without a size', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-02');
    const spare = (await devices(sim, 'web-02'))[1] as Dev;
    const url = `nodes/${id}/blockdevices/${spare.id}/partitions/`;
    const ten = await req(sim, sim.users.admin, 'POST', url, { size: '10G' });
    expect(ten.status).toBe(200);
    expect(ten.json<Part>()).toMatchObject({
      size: 9_999_220_736,
      path: `/dev/disk/by-dname/${spare.name}-part1`,
      bootable: false,
      used_for: 'Unused',
      filesystem: null,
    });
    const rest = (await req(sim, sim.users.admin, 'POST', url, { bootable: 'true' })).json<Part>();
    const total = Math.floor((spare.size - 5 * MiB) / (4 * MiB)) * 4 * MiB;
    expect([rest.size, rest.bootable, rest.path]).toEqual([
      total - 9_999_220_736,
      true,
      `/dev/disk/by-dname/${spare.name}-part2`,
    ]);
    const after = (await devices(sim, 'web-02'))[1] as Dev;
    expect([after.available_size, after.used_size]).toEqual([0, total + 5 * MiB]);
    const full = await req(sim, sim.users.admin, 'POST', url, { size: '5M' });
    expect(answer(full)).toEqual([
      400,
      '{"size": ["Partition cannot be saved; not enough free space on the block device."]}',
    ]);
  });

  it("bounds a partition's size with Django's messages", async () => {
    const sim = createSimulator();
    const spare = (await devices(sim, 'web-02'))[1] as Dev;
    const url = `nodes/${sid(sim, 'web-02')}/blockdevices/${spare.id}/partitions/`;
    expect(answer(await req(sim, sim.users.admin, 'POST', url, { size: '1000' }))).toEqual([
      400,
      '{"size": ["Ensure this value is greater than or equal to 4194304."]}',
    ]);
    expect(answer(await req(sim, sim.users.admin, 'POST', url, { size: String(spare.size + 1) }))).toEqual([
      400,
      `{"size": ["Ensure this value is less than or equal to ${spare.size}."]}`,
    ]);
    expect(answer(await req(sim, sim.users.admin, 'POST', url, { size: 'ten' }))).toEqual([
      400,
      '{"size": ["Enter a valid value."]}',
    ]);
  });

  it('numbers MBR partitions 1, 2, 3 then 5, and caps them at the MBR 2 TiB maximum', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-02');
    const disk = await addDisk(sim, 'web-02', 'sdy', '3000000000000');
    const url = `nodes/${id}/blockdevices/${disk.id}/`;
    await req(sim, sim.users.admin, 'POST', `${url}partitions/`, { size: '1G' });
    const mbr = await req(sim, sim.users.admin, 'PUT', url, { partition_table_type: 'MBR' });
    expect(mbr.json<Dev>().partition_table_type).toBe('MBR');
    for (let i = 0; i < 3; i++) await req(sim, sim.users.admin, 'POST', `${url}partitions/`, { size: '1G' });
    const parts = (await req(sim, sim.users.admin, 'GET', `${url}partitions/`)).json<Part[]>();
    expect(parts.map((p) => p.path.split('-').pop())).toEqual(['part1', 'part2', 'part3', 'part5']);
    const huge = await req(sim, sim.users.admin, 'POST', `${url}partitions/`, { size: '2500G' });
    expect(answer(huge)).toEqual([
      400,
      '{"size": ["Partition cannot be saved; size is larger than the MBR 2TiB maximum."]}',
    ]);
    const rest = (await req(sim, sim.users.admin, 'POST', `${url}partitions/`)).json<Part>();
    expect(rest.size).toBe(Math.floor(((2 ** 32 - 1) * 512 - MiB) / (4 * MiB)) * 4 * MiB);
  });

  it('needs an existing table to change its type', async () => {
    const sim = createSimulator();
    const spare = (await devices(sim, 'web-02'))[1] as Dev;
    const res = await req(
      sim,
      sim.users.admin,
      'PUT',
      `nodes/${sid(sim, 'web-02')}/blockdevices/${spare.id}/`,
      {
        partition_table_type: 'MBR',
      },
    );
    expect(answer(res)).toEqual([400, '{"partition_table_type": ["Block device has no partition table"]}']);
  });
});

describe('partitions', () => {
  it('reads a partition by id or by <disk>-part<n>, renumbers later ones on delete, and 404s with an empty body', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-02');
    const spare = (await devices(sim, 'web-02'))[1] as Dev;
    const base = `nodes/${id}/blockdevices/${spare.id}/`;
    const made: Part[] = [];
    for (let i = 0; i < 3; i++)
      made.push((await req(sim, sim.users.admin, 'POST', `${base}partitions/`, { size: '1G' })).json<Part>());
    const byName = await req(sim, sim.users.admin, 'GET', `${base}partition/${spare.name}-part2`);
    expect(byName.json<Part>().id).toBe(made[1]?.id);
    expect((await req(sim, sim.users.admin, 'DELETE', `${base}partition/${made[0]?.id}`)).status).toBe(204);
    const left = (await req(sim, sim.users.admin, 'GET', `${base}partitions/`)).json<Part[]>();
    expect(left.map((p) => [p.id, p.path.split('-').pop()])).toEqual([
      [made[1]?.id, 'part1'],
      [made[2]?.id, 'part2'],
    ]);
    expect(answer(await req(sim, sim.users.admin, 'GET', `${base}partition/999999`))).toEqual([404, '']);
  });

  it('refuses to delete a partition that is in a volume group (400 text) and any delete off Ready (409)', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'db-02');
    const boot = (await devices(sim, 'db-02'))[0] as Dev;
    const pv = boot.partitions[1] as Part;
    expect(pv.used_for).toBe('LVM volume for vgroot');
    const res = await req(
      sim,
      sim.users.admin,
      'DELETE',
      `nodes/${id}/blockdevices/${boot.id}/partition/${pv.id}`,
    );
    expect(answer(res)).toEqual([400, 'Cannot delete partition because its part of a volume group.']);
    sim.control.setMachine('db-02', { status: S.ALLOCATED, owner: 'admin' });
    const busy = await req(
      sim,
      sim.users.admin,
      'DELETE',
      `nodes/${id}/blockdevices/${boot.id}/partition/${pv.id}`,
    );
    expect(answer(busy)).toEqual([409, 'Cannot delete block device because the node is not Ready.']);
  });

  it('creates partitions only for admins on Ready machines', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-02');
    const spare = (await devices(sim, 'web-02'))[1] as Dev;
    const url = `nodes/${id}/blockdevices/${spare.id}/partitions/`;
    expect(answer(await req(sim, sim.users.operator, 'POST', url, { size: '1G' }))).toEqual([403, '']);
    sim.control.setMachine('web-02', { status: S.ALLOCATED, owner: 'alice' });
    expect(answer(await req(sim, sim.users.admin, 'POST', url, { size: '1G' }))).toEqual([
      409,
      'Cannot create partition because the node is not Ready.',
    ]);
  });

  it('gates partition format and mount with the "node" wording, and lets admins tag them (`tag` is mandatory)', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-03');
    const boot = (await devices(sim, 'web-03'))[0] as Dev;
    sim.control.setMachine('web-03', { locked: false });
    const url = `nodes/${id}/blockdevices/${boot.id}/partition/${boot.partitions[1]?.id}`;
    expect(answer(await req(sim, sim.users.admin, 'POST', `${url}?op=unmount`))).toEqual([
      409,
      'Cannot unmount partition because the node is not Ready or Allocated.',
    ]);
    expect(answer(await req(sim, sim.users.admin, 'POST', `${url}?op=add_tag`))).toEqual([
      400,
      'No provided tag!',
    ]);
    const tagged = await req(sim, sim.users.admin, 'POST', `${url}?op=add_tag`, { tag: 'os' });
    expect(tagged.json<Part>().tags).toEqual(['os']);
    const web02 = (await devices(sim, 'web-02'))[0] as Dev;
    const ready = await req(
      sim,
      sim.users.operator,
      'POST',
      `nodes/${sid(sim, 'web-02')}/blockdevices/${web02.id}/partition/${web02.partitions[1]?.id}?op=unmount`,
    );
    expect(answer(ready)).toEqual([
      403,
      "Cannot unmount partition because you don't have the permissions on a Ready node.",
    ]);
  });
});

describe('format and mount (MAAS `maasserver/forms/filesystem.py`, `maasserver/models/filesystem.py`)', () => {
  it('formats and mounts a spare disk, refuses a second mount at the same place, and mounts swap at none', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-02');
    const spare = (await devices(sim, 'web-02'))[1] as Dev;
    const url = `nodes/${id}/blockdevices/${spare.id}/`;
    const formatted = (
      await req(sim, sim.users.admin, 'POST', `${url}?op=format`, { fstype: 'xfs', label: 'data' })
    ).json<Dev>();
    expect(formatted.filesystem).toMatchObject({ fstype: 'xfs', label: 'data', mount_point: null });
    expect(formatted.used_for).toBe('Unmounted xfs formatted filesystem');
    expect([formatted.available_size, formatted.used_size]).toEqual([0, spare.size]);
    const dup = await req(sim, sim.users.admin, 'POST', `${url}?op=mount`, { mount_point: '/' });
    expect(answer(dup)).toEqual([400, '{"__all__": ["Another filesystem is already mounted at /."]}']);
    const relative = await req(sim, sim.users.admin, 'POST', `${url}?op=mount`, { mount_point: 'srv' });
    expect(answer(relative)).toEqual([400, '{"mount_point": ["Enter a valid value."]}']);
    const none = await req(sim, sim.users.admin, 'POST', `${url}?op=mount`);
    expect(answer(none)).toEqual([400, '{"mount_point": ["This field is required."]}']);
    const mounted = (
      await req(sim, sim.users.admin, 'POST', `${url}?op=mount`, {
        mount_point: '/srv',
        mount_options: 'noatime',
      })
    ).json<Dev>();
    expect(mounted.used_for).toBe('xfs formatted filesystem mounted at /srv');
    const swap = (
      await req(sim, sim.users.admin, 'POST', `${url}?op=format`, { fstype: 'swap' })
    ).json<Dev>();
    expect(swap.filesystem?.fstype).toBe('swap');
    const swapOn = (await req(sim, sim.users.admin, 'POST', `${url}?op=mount`)).json<Dev>();
    expect(swapOn.filesystem?.mount_point).toBe('none');
  });

  it('refuses what MAAS refuses: a table, the boot disk itself, bad types, virtual filesystems, bad UUIDs, nothing to mount', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-02');
    const [boot, spare] = (await devices(sim, 'web-02')) as [Dev, Dev];
    const fmt = (dev: Dev, form: Record<string, string>) =>
      req(sim, sim.users.admin, 'POST', `nodes/${id}/blockdevices/${dev.id}/?op=format`, form);
    expect(answer(await fmt(boot, { fstype: 'ext4' }))).toEqual([
      400,
      '{"__all__": ["Cannot format block device with a partition table."]}',
    ]);
    expect(answer(await fmt(spare, { fstype: 'zfs' }))).toEqual([
      400,
      '{"fstype": ["Select a valid choice. zfs is not one of the available choices."]}',
    ]);
    expect(answer(await fmt(spare, {}))).toEqual([400, '{"fstype": ["This field is required."]}']);
    expect(answer(await fmt(spare, { fstype: 'tmpfs' }))).toEqual([
      400,
      '{"__all__": ["Virtual filesystems must be mounted."]}',
    ]);
    expect(answer(await fmt(spare, { fstype: 'ext4', uuid: 'not-a-uuid' }))).toEqual([
      400,
      '{"uuid": ["Enter a valid UUID."]}',
    ]);
    const mountBare = await req(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${id}/blockdevices/${spare.id}/?op=mount`,
      {
        mount_point: '/x',
      },
    );
    expect(answer(mountBare)).toEqual([
      400,
      '{"__all__": ["Cannot mount an unformatted partition or block device."]}',
    ]);
    expect((await layout(sim, 'web-02', { storage_layout: 'blank' })).status).toBe(200);
    expect(answer(await fmt(boot, { fstype: 'ext4' }))).toEqual([
      400,
      '{"__all__": ["Cannot place filesystem directly on the boot disk. Create a partition on the boot disk first and then format the partition."]}',
    ]);
  });

  it('will not unmount or unformat what is not there, nor unformat a mounted filesystem or a group member', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-02');
    const spare = (await devices(sim, 'web-02'))[1] as Dev;
    const url = `nodes/${id}/blockdevices/${spare.id}/`;
    expect(answer(await req(sim, sim.users.admin, 'POST', `${url}?op=unformat`))).toEqual([
      400,
      'Block device is not formatted.',
    ]);
    expect(answer(await req(sim, sim.users.admin, 'POST', `${url}?op=unmount`))).toEqual([
      400,
      'Block device is not formatted.',
    ]);
    await req(sim, sim.users.admin, 'POST', `${url}?op=format`, { fstype: 'ext4' });
    expect(answer(await req(sim, sim.users.admin, 'POST', `${url}?op=unmount`))).toEqual([
      400,
      'Filesystem is already unmounted.',
    ]);
    await req(sim, sim.users.admin, 'POST', `${url}?op=mount`, { mount_point: '/srv' });
    expect(answer(await req(sim, sim.users.admin, 'POST', `${url}?op=unformat`))).toEqual([
      400,
      'Filesystem is mounted and cannot be unformatted. Unmount the filesystem before unformatting the block device.',
    ]);
    await req(sim, sim.users.admin, 'POST', `${url}?op=unmount`);
    await req(sim, sim.users.admin, 'POST', `${url}?op=unformat`);
    const vg = await req(sim, sim.users.admin, 'POST', `nodes/${id}/volume-groups/`, {
      name: 'data',
      block_devices: String(spare.id),
    });
    expect(vg.status).toBe(200);
    expect(answer(await req(sim, sim.users.admin, 'POST', `${url}?op=unformat`))).toEqual([
      400,
      'Filesystem is part of a volume group, and cannot be unformatted. Remove block device from volume group before unformatting the block device.',
    ]);
    expect(answer(await req(sim, sim.users.admin, 'POST', `${url}?op=format`, { fstype: 'ext4' }))).toEqual([
      400,
      'Cannot format a block device that has a filesystem type of lvm-pv.',
    ]);
    expect(answer(await req(sim, sim.users.admin, 'POST', `${url}?op=mount`, { mount_point: '/x' }))).toEqual(
      [400, '{"__all__": ["Filesystem is part of a filesystem group, and cannot be mounted."]}'],
    );
  });

  it('lets the owner of an Allocated machine format and mount; MAAS drops that filesystem on release (`acquired`)', async () => {
    const sim = createSimulator();
    sim.control.setMachine('web-02', { status: S.ALLOCATED, owner: 'alice', power: 'off' });
    const id = sid(sim, 'web-02');
    const spare = (await devices(sim, 'web-02'))[1] as Dev;
    const url = `nodes/${id}/blockdevices/${spare.id}/`;
    const alice = sim.users.operator;
    expect((await req(sim, alice, 'POST', `${url}?op=format`, { fstype: 'ext4' })).status).toBe(200);
    const mounted = (
      await req(sim, alice, 'POST', `${url}?op=mount`, { mount_point: '/scratch' })
    ).json<Dev>();
    expect(mounted.filesystem).toMatchObject({ fstype: 'ext4', mount_point: '/scratch' });
    expect(answer(await req(sim, sim.users.other, 'POST', `${url}?op=unmount`))).toEqual([403, '']);
    expect((await req(sim, alice, 'POST', `machines/${id}/?op=release`)).status).toBe(200);
    const after = (await devices(sim, 'web-02'))[1] as Dev;
    expect([after.filesystem, after.used_for]).toEqual([null, 'Unused']);
  });

  it('drops the acquired filesystem when the owner marks the machine broken (which releases it first)', async () => {
    const sim = createSimulator();
    sim.control.setMachine('web-02', { status: S.ALLOCATED, owner: 'alice' });
    const id = sid(sim, 'web-02');
    const spare = (await devices(sim, 'web-02'))[1] as Dev;
    await req(sim, sim.users.operator, 'POST', `nodes/${id}/blockdevices/${spare.id}/?op=format`, {
      fstype: 'xfs',
    });
    expect((await req(sim, sim.users.operator, 'POST', `machines/${id}/?op=mark_broken`)).status).toBe(200);
    expect(((await devices(sim, 'web-02'))[1] as Dev).filesystem).toBeNull();
  });
});

describe('block device writes', () => {
  it("updates only a Deployed machine's physical identity fields, never its virtual devices", async () => {
    const sim = createSimulator();
    const id = sid(sim, 'db-01');
    sim.control.setMachine('db-01', { locked: false });
    const devs = await devices(sim, 'db-01');
    const sdb = devs[1] as Dev;
    const renamed = await req(sim, sim.users.admin, 'PUT', `nodes/${id}/blockdevices/${sdb.id}/`, {
      name: 'sdq',
      size: '1000',
      model: 'NEW MODEL',
    });
    expect(renamed.json<Dev>()).toMatchObject({ name: 'sdq', size: sdb.size, model: 'NEW MODEL' });
    const lv = devs.find((d) => d.type === 'virtual') as Dev;
    expect(
      answer(await req(sim, sim.users.admin, 'PUT', `nodes/${id}/blockdevices/${lv.id}/`, { name: 'x' })),
    ).toEqual([409, 'Cannot update virtual block device because the machine is Deployed.']);
    const web05 = (await devices(sim, 'web-05'))[0] as Dev;
    const allocated = await req(
      sim,
      sim.users.admin,
      'PUT',
      `nodes/${sid(sim, 'web-05')}/blockdevices/${web05.id}/`,
      { name: 'x' },
    );
    expect(answer(allocated)).toEqual([409, 'Cannot update block device because the machine is not Ready.']);
  });

  it("resizes a logical volume within its volume group's free space", async () => {
    const sim = createSimulator();
    const id = sid(sim, 'db-02');
    const lv = (await devices(sim, 'db-02')).find((d) => d.type === 'virtual') as Dev;
    expect(lv).toMatchObject({
      name: 'vgroot-lvroot',
      block_size: 4096,
      path: '/dev/disk/by-dname/vgroot-lvroot',
    });
    const tooBig = await req(sim, sim.users.admin, 'PUT', `nodes/${id}/blockdevices/${lv.id}/`, {
      size: String(lv.size + 4 * MiB),
    });
    expect(answer(tooBig)).toEqual([
      400,
      `{"size": ["Ensure this value is less than or equal to ${lv.size}."]}`,
    ]);
    const smaller = await req(sim, sim.users.admin, 'PUT', `nodes/${id}/blockdevices/${lv.id}/`, {
      size: '50G',
    });
    expect(smaller.json<Dev>().size).toBe(Math.floor(50e9 / (4 * MiB)) * 4 * MiB);
  });

  it('deletes a free disk or a logical volume on a Ready machine, never a disk holding a group member', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'db-02');
    const devs = await devices(sim, 'db-02');
    const [boot, , sdc] = devs as [Dev, Dev, Dev];
    const lv = devs.find((d) => d.type === 'virtual') as Dev;
    expect(answer(await req(sim, sim.users.admin, 'DELETE', `nodes/${id}/blockdevices/${boot.id}/`))).toEqual(
      [400, 'Cannot delete block device because its part of a volume group.'],
    );
    expect((await req(sim, sim.users.admin, 'DELETE', `nodes/${id}/blockdevices/${sdc.id}/`)).status).toBe(
      204,
    );
    expect((await req(sim, sim.users.admin, 'DELETE', `nodes/${id}/blockdevices/${lv.id}/`)).status).toBe(
      204,
    );
    const m = (await req(sim, sim.users.admin, 'GET', `machines/${id}/`)).json<{
      virtualblockdevice_set: unknown[];
      physicalblockdevice_set: unknown[];
    }>();
    expect([m.virtualblockdevice_set.length, m.physicalblockdevice_set.length]).toEqual([0, 2]);
    sim.control.setMachine('db-02', { status: S.BROKEN });
    expect(answer(await req(sim, sim.users.admin, 'DELETE', `nodes/${id}/blockdevices/${boot.id}/`))).toEqual(
      [409, 'Cannot delete block device because the machine is not Ready.'],
    );
  });

  it('tags devices (admin, Ready) with a mandatory tag, and creates physical devices for admins only', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-02');
    const spare = (await devices(sim, 'web-02'))[1] as Dev;
    const url = `nodes/${id}/blockdevices/${spare.id}/`;
    expect(answer(await req(sim, sim.users.admin, 'POST', `${url}?op=add_tag`))).toEqual([
      400,
      'No provided tag!',
    ]);
    expect(
      (await req(sim, sim.users.admin, 'POST', `${url}?op=add_tag`, { tag: 'fast' })).json<Dev>().tags,
    ).toContain('fast');
    expect(answer(await req(sim, sim.users.operator, 'POST', `${url}?op=add_tag`, { tag: 'x' }))).toEqual([
      403,
      '',
    ]);
    const create = await req(sim, sim.users.operator, 'POST', `nodes/${id}/blockdevices/`, { name: 'sdx' });
    expect(answer(create)).toEqual([403, 'This method is reserved for admin users.']);
    const missing = await req(sim, sim.users.admin, 'POST', `nodes/${id}/blockdevices/`, {
      name: 'sdx',
      size: '1G',
      block_size: '512',
    });
    expect(answer(missing)).toEqual([
      400,
      '{"__all__": ["serial/model are required if id_path is not provided."]}',
    ]);
  });

  it('sets the boot disk (Ready, physical, not a group member) and drops a filesystem put straight on it', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-02');
    const spare = (await devices(sim, 'web-02'))[1] as Dev;
    await req(sim, sim.users.admin, 'POST', `nodes/${id}/blockdevices/${spare.id}/?op=format`, {
      fstype: 'ext4',
    });
    expect(
      (await req(sim, sim.users.admin, 'POST', `nodes/${id}/blockdevices/${spare.id}/?op=set_boot_disk`))
        .text,
    ).toBe('OK');
    const m = (await req(sim, sim.users.admin, 'GET', `machines/${id}/`)).json<{ boot_disk: Dev }>();
    expect([m.boot_disk.id, m.boot_disk.filesystem]).toEqual([spare.id, null]);
    const lv = (await devices(sim, 'db-02')).find((d) => d.type === 'virtual') as Dev;
    const virtual = await req(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${sid(sim, 'db-02')}/blockdevices/${lv.id}/?op=set_boot_disk`,
    );
    expect(answer(virtual)).toEqual([400, 'Cannot set a virtual block device as the boot disk.']);
    const web05 = (await devices(sim, 'web-05'))[0] as Dev;
    const busy = await req(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${sid(sim, 'web-05')}/blockdevices/${web05.id}/?op=set_boot_disk`,
    );
    expect(answer(busy)).toEqual([409, 'Cannot set as boot disk because the machine is not Ready.']);
    const stor = await devices(sim, 'stor-01');
    const sid1 = sid(sim, 'stor-01');
    await req(sim, sim.users.admin, 'POST', `nodes/${sid1}/raids/`, {
      name: 'md0',
      level: 'raid-1',
      block_devices: [String(stor[1]?.id), String(stor[2]?.id)],
    });
    const member = await req(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${sid1}/blockdevices/${stor[1]?.id}/?op=set_boot_disk`,
    );
    expect(answer(member)).toEqual([
      400,
      `{"boot_disk": ["Cannot be set as the boot disk; already in-use in RAID 'md0'."]}`,
    ]);
  });

  it('404s an unknown device or machine with the BlockDevice text, and a device of another machine too', async () => {
    const sim = createSimulator();
    const other = (await devices(sim, 'web-01'))[0] as Dev;
    for (const path of [
      `nodes/${sid(sim, 'web-02')}/blockdevices/999999/`,
      `nodes/nope/blockdevices/1/`,
      `nodes/${sid(sim, 'web-02')}/blockdevices/${other.id}/`,
    ]) {
      expect(answer(await req(sim, sim.users.admin, 'GET', path))).toEqual([
        404,
        'No BlockDevice matches the given query.',
      ]);
    }
  });

  it('shows the layout in the machine JSON: boot_disk, the three device sets, volume_groups and storage in MB', async () => {
    const sim = createSimulator();
    const m = (await req(sim, sim.users.admin, 'GET', `machines/${sid(sim, 'db-02')}/`)).json<
      Record<string, unknown>
    >();
    const physical = m.physicalblockdevice_set as Dev[];
    const virtual = m.virtualblockdevice_set as Dev[];
    expect((m.blockdevice_set as Dev[]).map((d) => d.id)).toEqual([...physical, ...virtual].map((d) => d.id));
    expect((m.boot_disk as Dev).id).toBe(physical[0]?.id);
    expect(virtual.map((d) => d.name)).toEqual(['vgroot-lvroot']);
    expect(m.volume_groups).toEqual([
      { system_id: sid(sim, 'db-02'), id: expect.any(Number), __incomplete__: true },
    ]);
    expect([m.raids, m.bcaches, m.cache_sets]).toEqual([[], [], []]);
    expect(m.storage).toBe(physical.reduce((s, d) => s + d.size, 0) / 1e6);
  });
});
