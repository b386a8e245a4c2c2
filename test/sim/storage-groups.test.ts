/**
 * Volume groups and logical volumes, RAIDs, bcache cache sets and bcaches against MAAS 3.7.3 (MAAS
 * `maasserver/api/volume_groups.py`, `raid.py`, `bcache.py`, `bcache_cacheset.py`; `maasserver/forms/__init__.py`
 * `CreateVolumeGroupForm`, `CreateRaidForm`, `CreateBcacheForm`; `maasserver/models/filesystemgroup.py` sizes and
 * rules), including MAAS's rollback of a refused request (`src/maasserver/api/tests/test_raid.py`
 * `test_create_raid_1_with_one_element_fails_without_side_effects`).
 */
import { describe, expect, it } from 'vitest';
import { createSimulator, SimStatus as S, type Simulator } from '../../src/sim/index.ts';
import { answer, req, sid } from './helpers.ts';

interface Dev {
  id: number;
  name: string;
  size: number;
  type: string;
  used_for: string;
  partition_table_type: string | null;
  partitions: { id: number; size: number; path: string; used_for: string }[];
  block_size: number;
  path: string;
}
interface Group {
  id: number;
  name: string;
  size: number;
  human_size: string;
  devices: { id: number; type: string }[];
  spare_devices?: { id: number }[];
  logical_volumes?: Dev[];
  available_size?: number;
  used_size?: number;
  level?: string;
  virtual_device?: Dev;
  cache_mode?: string;
  cache_set?: { name: string };
  backing_device?: { id: number };
  resource_uri: string;
}

const MiB = 1024 * 1024;
const OVERHEAD = 128 * 1024;

async function disks(sim: Simulator, host: string): Promise<Dev[]> {
  return (await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, host)}/blockdevices/`)).json<Dev[]>();
}

const post = (sim: Simulator, host: string, path: string, form: Record<string, string | string[]> = {}) =>
  req(sim, sim.users.admin, 'POST', `nodes/${sid(sim, host)}/${path}`, form);

describe('volume groups and logical volumes', () => {
  it('sizes a VG as whole 4 MiB extents less one per PV (a 7 994 343 424-byte partition gives 7 990 149 120)', async () => {
    const sim = createSimulator();
    const [, nvme1, nvme2, nvme3] = await disks(sim, 'stor-01');
    const part = (
      await post(sim, 'stor-01', `blockdevices/${nvme1?.id}/partitions/`, { size: '7994343424' })
    ).json<{ id: number }>();
    const vg = await post(sim, 'stor-01', 'volume-groups/', { name: 'vg0', partitions: String(part.id) });
    expect(vg.status).toBe(200);
    expect(vg.json<Group>()).toMatchObject({
      name: 'vg0',
      size: 7_990_149_120,
      human_size: '8.0 GB',
      available_size: 7_990_149_120,
      used_size: 0,
      logical_volumes: [],
      resource_uri: `/MAAS/api/2.0/nodes/${sid(sim, 'stor-01')}/volume-group/${vg.json<Group>().id}/`,
    });
    const two = (
      await post(sim, 'stor-01', 'volume-groups/', {
        name: 'data',
        block_devices: [nvme2?.name ?? '', String(nvme3?.id)],
      })
    ).json<Group>();
    const sum = (nvme2?.size ?? 0) + (nvme3?.size ?? 0);
    expect(two.size).toBe(Math.floor(sum / (4 * MiB)) * 4 * MiB - 2 * 4 * MiB);
    expect(two.devices.map((d) => d.id)).toEqual([nvme2?.id, nvme3?.id]);
    expect((await disks(sim, 'stor-01'))[2]?.used_for).toBe('LVM volume for data');
  });

  it("gives a group member's filesystem a UUID like any other (`Filesystem.save`; gomaasapi refuses one without)", async () => {
    const sim = createSimulator();
    const [boot] = await disks(sim, 'db-02');
    const pv = (
      await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, 'db-02')}/blockdevices/${boot?.id}/`)
    ).json<{
      partitions: { filesystem: { fstype: string; uuid: string } }[];
    }>();
    expect(pv.partitions[1]?.filesystem).toMatchObject({
      fstype: 'lvm-pv',
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('creates logical volumes named <vg>-<lv> (all free space by default) and answers them as block devices', async () => {
    const sim = createSimulator();
    const [, nvme1] = await disks(sim, 'stor-01');
    const vg = (
      await post(sim, 'stor-01', 'volume-groups/', { name: 'vg0', block_devices: String(nvme1?.id) })
    ).json<Group>();
    const url = `volume-group/${vg.id}/?op=create_logical_volume`;
    const home = await post(sim, 'stor-01', url, { name: 'home', size: '10G' });
    expect(home.json<Dev>()).toMatchObject({
      name: 'vg0-home',
      type: 'virtual',
      block_size: 4096,
      path: '/dev/disk/by-dname/vg0-home',
      size: Math.floor(10e9 / (4 * MiB)) * 4 * MiB,
    });
    const tooBig = await post(sim, 'stor-01', url, { name: 'x', size: String(vg.size) });
    const free = vg.size - home.json<Dev>().size;
    expect(answer(tooBig)).toEqual([
      400,
      `{"size": ["Ensure this value is less than or equal to ${free}."]}`,
    ]);
    const rest = (await post(sim, 'stor-01', url, { name: 'rest' })).json<Dev>();
    expect(rest.size).toBe(free);
    const full = await post(sim, 'stor-01', url, { name: 'more' });
    expect(answer(full)).toEqual([
      400,
      `{"__all__": ["Volume group (vg0) cannot hold any more logical volumes, because it doesn't have enough free space."]}`,
    ]);
    const after = (
      await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, 'stor-01')}/volume-group/vg0/`)
    ).json<Group>();
    expect([after.available_size, after.logical_volumes?.map((l) => l.name)]).toEqual([
      0,
      ['vg0-home', 'vg0-rest'],
    ]);
  });

  it('deletes a logical volume by id (204 even for an unknown id), and a VG only once it has none', async () => {
    const sim = createSimulator();
    const [, nvme1] = await disks(sim, 'stor-01');
    const vg = (
      await post(sim, 'stor-01', 'volume-groups/', { name: 'vg0', block_devices: String(nvme1?.id) })
    ).json<Group>();
    const lv = (
      await post(sim, 'stor-01', `volume-group/${vg.id}/?op=create_logical_volume`, { name: 'a' })
    ).json<Dev>();
    const del = (form: Record<string, string>) =>
      post(sim, 'stor-01', `volume-group/${vg.id}/?op=delete_logical_volume`, form);
    expect(answer(await del({}))).toEqual([400, 'No provided id!']);
    expect((await del({ id: '999999' })).status).toBe(204);
    const url = `nodes/${sid(sim, 'stor-01')}/volume-group/${vg.id}/`;
    expect(answer(await req(sim, sim.users.admin, 'DELETE', url))).toEqual([
      400,
      'This volume group has logical volumes; it cannot be deleted.',
    ]);
    expect((await del({ id: String(lv.id) })).status).toBe(204);
    expect((await req(sim, sim.users.admin, 'DELETE', url)).status).toBe(204);
    expect((await disks(sim, 'stor-01'))[1]?.used_for).toBe('Unused');
    expect(answer(await req(sim, sim.users.admin, 'GET', url))).toEqual([
      404,
      'No VolumeGroup matches the given query.',
    ]);
  });

  it('refuses a VG without devices, with a used device, from a non-admin or off Ready', async () => {
    const sim = createSimulator();
    const [boot, nvme1] = await disks(sim, 'db-02');
    expect(answer(await post(sim, 'db-02', 'volume-groups/', { name: 'x' }))).toEqual([
      400,
      '{"__all__": ["At least one valid block device or partition is required."]}',
    ]);
    expect(
      answer(await post(sim, 'db-02', 'volume-groups/', { name: 'x', block_devices: String(boot?.id) })),
    ).toEqual([
      400,
      `{"block_devices": ["Select a valid choice. ${boot?.id} is not one of the available choices."]}`,
    ]);
    expect(answer(await post(sim, 'db-02', 'volume-groups/', { block_devices: String(nvme1?.id) }))).toEqual([
      400,
      '{"name": ["This field is required."]}',
    ]);
    sim.control.setMachine('db-02', { status: S.ALLOCATED, owner: 'alice' });
    const owner = await req(sim, sim.users.operator, 'POST', `nodes/${sid(sim, 'db-02')}/volume-groups/`, {
      name: 'x',
      block_devices: String(nvme1?.id),
    });
    expect(answer(owner)).toEqual([403, '']);
    expect(
      answer(await post(sim, 'db-02', 'volume-groups/', { name: 'x', block_devices: String(nvme1?.id) })),
    ).toEqual([409, 'Cannot create volume group because the machine is not Ready.']);
  });

  it('never shrinks a VG below its logical volumes, and the refused update changes nothing', async () => {
    const sim = createSimulator();
    const [, nvme1, nvme2] = await disks(sim, 'stor-01');
    const vg = (
      await post(sim, 'stor-01', 'volume-groups/', {
        name: 'vg0',
        block_devices: [String(nvme1?.id), String(nvme2?.id)],
      })
    ).json<Group>();
    await post(sim, 'stor-01', `volume-group/${vg.id}/?op=create_logical_volume`, { name: 'all' });
    const url = `nodes/${sid(sim, 'stor-01')}/volume-group/${vg.id}/`;
    const shrink = await req(sim, sim.users.admin, 'PUT', url, {
      name: 'renamed',
      remove_block_devices: String(nvme2?.id),
    });
    expect(answer(shrink)).toEqual([400, 'Volume group cannot be smaller than its logical volumes.']);
    const after = (await req(sim, sim.users.admin, 'GET', url)).json<Group>();
    expect([after.name, after.devices.length, after.size]).toEqual(['vg0', 2, vg.size]);
  });

  it('puts the boot disk of a blank machine into a VG as one full-size partition', async () => {
    const sim = createSimulator();
    const [boot] = await disks(sim, 'stor-01');
    const vg = (
      await post(sim, 'stor-01', 'volume-groups/', { name: 'vg0', block_devices: String(boot?.id) })
    ).json<Group>();
    expect(vg.devices[0]?.type).toBe('partition');
    const after = (await disks(sim, 'stor-01'))[0] as Dev;
    expect([after.partition_table_type, after.partitions.length, after.partitions[0]?.used_for]).toEqual([
      'GPT',
      1,
      'LVM volume for vg0',
    ]);
  });
});

describe('RAIDs', () => {
  it("computes every level's size from its smallest member (raid-10 as a float) and names the device md<N>", async () => {
    const sim = createSimulator();
    const [, a, b, c] = await disks(sim, 'stor-01');
    const ids = [a, b, c].map((d) => String(d?.id));
    const min = Math.min(...[a, b, c].map((d) => d?.size ?? 0));
    const make = async (level: string, form: Record<string, string | string[]> = {}) => {
      const res = await post(sim, 'stor-01', 'raids/', {
        name: level.replace('raid-', 'md'),
        level,
        block_devices: ids,
        ...form,
      });
      expect(res.status, res.text).toBe(200);
      const raid = res.json<Group>();
      expect(
        (await req(sim, sim.users.admin, 'DELETE', `nodes/${sid(sim, 'stor-01')}/raid/${raid.id}/`)).status,
      ).toBe(204);
      return { raid, text: res.text };
    };
    expect((await make('raid-5')).raid.size).toBe(min * 2 - OVERHEAD);
    expect((await make('raid-1')).raid.size).toBe(min - OVERHEAD);
    const total = [a, b, c].reduce((s, d) => s + (d?.size ?? 0), 0);
    expect((await make('raid-0')).raid.size).toBe(total - 3 * OVERHEAD);
    const ten = await make('raid-10');
    expect(ten.raid.size).toBe((min * 3) / 2 - OVERHEAD);
    expect(ten.text).toMatch(/"size": \d+\.0,/);
    const raid5 = (
      await post(sim, 'stor-01', 'raids/', { name: 'md7', level: 'raid-5', block_devices: ids })
    ).json<Group>();
    expect(raid5).toMatchObject({
      name: 'md7',
      level: 'raid-5',
      virtual_device: { name: 'md7', type: 'virtual', block_size: 512 },
    });
    expect((await disks(sim, 'stor-01'))[1]?.used_for).toBe('Active raid-5 device for md7');
  });

  it("enforces each level's member count with MAAS's texts (raid-10 needs 3, raid-0 no spares)", async () => {
    const sim = createSimulator();
    const [, a, b, c] = await disks(sim, 'stor-01');
    const two = [String(a?.id), String(b?.id)];
    const cases: [string, Record<string, string | string[]>, string][] = [
      [
        'raid-0',
        { block_devices: [String(a?.id)] },
        'RAID level 0 must have at least 2 raid devices and no spares.',
      ],
      [
        'raid-0',
        { block_devices: two, spare_devices: String(c?.id) },
        'RAID level 0 must have at least 2 raid devices and no spares.',
      ],
      [
        'raid-1',
        { block_devices: [String(a?.id)] },
        'RAID level 1 must have at least 2 raid devices and any number of spares.',
      ],
      [
        'raid-5',
        { block_devices: two },
        'RAID level 5 must have at least 3 raid devices and any number of spares.',
      ],
      [
        'raid-6',
        { block_devices: [...two, String(c?.id)] },
        'RAID level 6 must have at least 4 raid devices and any number of spares.',
      ],
      [
        'raid-10',
        { block_devices: two },
        'RAID level 10 must have at least 3 raid devices and any number of spares.',
      ],
    ];
    for (const [level, form, text] of cases) {
      expect(answer(await post(sim, 'stor-01', 'raids/', { name: 'md0', level, ...form })), level).toEqual([
        400,
        JSON.stringify({ __all__: [text] }).replaceAll('":', '": '),
      ]);
    }
    const ok = (
      await post(sim, 'stor-01', 'raids/', {
        name: 'md0',
        level: 'raid-1',
        block_devices: two,
        spare_devices: String(c?.id),
      })
    ).json<Group>();
    expect([ok.devices.length, ok.spare_devices?.length]).toEqual([2, 1]);
    expect((await disks(sim, 'stor-01'))[3]?.used_for).toBe('Spare raid-1 device for md0');
  });

  it('changes nothing when a RAID is refused, even after turning the boot disk into a partition', async () => {
    const sim = createSimulator();
    const before = await disks(sim, 'stor-01');
    const res = await post(sim, 'stor-01', 'raids/', {
      name: 'md0',
      level: 'raid-1',
      block_devices: String(before[0]?.id),
    });
    expect(answer(res)).toEqual([
      400,
      '{"__all__": ["RAID level 1 must have at least 2 raid devices and any number of spares."]}',
    ]);
    expect(await disks(sim, 'stor-01')).toEqual(before);
    expect((await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, 'stor-01')}/raids/`)).json()).toEqual(
      [],
    );
  });

  it('builds a RAID with the boot disk on partitions of every listed device', async () => {
    const sim = createSimulator();
    const [boot, a] = await disks(sim, 'stor-01');
    const raid = (
      await post(sim, 'stor-01', 'raids/', {
        name: 'md0',
        level: 'raid-1',
        block_devices: [String(boot?.id), String(a?.id)],
      })
    ).json<Group>();
    expect(raid.devices.map((d) => d.type)).toEqual(['partition', 'partition']);
    const after = await disks(sim, 'stor-01');
    expect([after[0]?.partitions.length, after[1]?.partitions.length]).toEqual([1, 1]);
  });

  it('refuses a blank name, a bad level, a used device and no device at all', async () => {
    const sim = createSimulator();
    const [boot, a] = await disks(sim, 'web-02');
    expect(
      answer(await post(sim, 'web-02', 'raids/', { level: 'raid-1', block_devices: String(a?.id) })),
    ).toEqual([400, '{"name": ["This field cannot be blank."]}']);
    expect(
      answer(
        await post(sim, 'web-02', 'raids/', { name: 'md0', level: 'raid-7', block_devices: String(a?.id) }),
      ),
    ).toEqual([400, '{"level": ["Select a valid choice. raid-7 is not one of the available choices."]}']);
    expect(
      answer(
        await post(sim, 'web-02', 'raids/', {
          name: 'md0',
          level: 'raid-1',
          block_devices: boot?.name ?? '',
        }),
      ),
    ).toEqual([
      400,
      `{"block_devices": ["Select a valid choice. ${boot?.name} is not one of the available choices."]}`,
    ]);
    expect(answer(await post(sim, 'web-02', 'raids/', { name: 'md0', level: 'raid-1' }))).toEqual([
      400,
      '{"__all__": ["At least one block device or partition must be added to the array."]}',
    ]);
  });

  it('updates members within the level rules (a refused removal keeps the array), and frees them on delete', async () => {
    const sim = createSimulator();
    const [, a, b, c] = await disks(sim, 'stor-01');
    const raid = (
      await post(sim, 'stor-01', 'raids/', {
        name: 'md0',
        level: 'raid-1',
        block_devices: [String(a?.id), String(b?.id)],
      })
    ).json<Group>();
    const url = `nodes/${sid(sim, 'stor-01')}/raid/${raid.id}/`;
    const removal = await req(sim, sim.users.admin, 'PUT', url, { remove_block_devices: String(a?.id) });
    expect(answer(removal)).toEqual([
      400,
      '{"__all__": ["RAID level 1 must have at least 2 raid devices and any number of spares."]}',
    ]);
    expect((await req(sim, sim.users.admin, 'GET', url)).json<Group>().devices).toHaveLength(2);
    const grown = (
      await req(sim, sim.users.admin, 'PUT', url, { name: 'mirror', add_spare_devices: String(c?.id) })
    ).json<Group>();
    expect([grown.name, grown.spare_devices?.length, grown.virtual_device?.name]).toEqual([
      'mirror',
      1,
      'mirror',
    ]);
    expect(
      (await req(sim, sim.users.admin, 'DELETE', `nodes/${sid(sim, 'stor-01')}/raid/mirror/`)).status,
    ).toBe(204);
    expect((await disks(sim, 'stor-01')).slice(1).map((d) => d.used_for)).toEqual([
      'Unused',
      'Unused',
      'Unused',
    ]);
  });

  it('needs admin on a Ready machine for every write', async () => {
    const sim = createSimulator();
    const [, a, b] = await disks(sim, 'web-02');
    const form = { name: 'md0', level: 'raid-1', block_devices: [String(a?.id), String(b?.id)] };
    expect(
      answer(await req(sim, sim.users.operator, 'POST', `nodes/${sid(sim, 'web-02')}/raids/`, form)),
    ).toEqual([403, '']);
    sim.control.setMachine('web-02', { status: S.ALLOCATED, owner: 'admin' });
    expect(answer(await post(sim, 'web-02', 'raids/', form))).toEqual([
      409,
      'Cannot create RAID because the machine is not Ready.',
    ]);
  });
});

describe('bcache', () => {
  it('makes a cache set (cache0) and a bcache on a backing disk, and refuses a used cache set on delete', async () => {
    const sim = createSimulator();
    const [, a, b] = await disks(sim, 'stor-01');
    const cs = await post(sim, 'stor-01', 'bcache-cache-sets/', { cache_device: String(a?.id) });
    expect(cs.json<Group>()).toMatchObject({ name: 'cache0', cache_device: { id: a?.id } });
    const bcache = await post(sim, 'stor-01', 'bcaches/', {
      name: 'bcache0',
      cache_set: 'cache0',
      cache_mode: 'writeback',
      backing_device: String(b?.id),
    });
    expect(bcache.json<Group>()).toMatchObject({
      name: 'bcache0',
      size: b?.size,
      cache_mode: 'writeback',
      cache_set: { name: 'cache0' },
      backing_device: { id: b?.id },
      virtual_device: { name: 'bcache0', type: 'virtual' },
    });
    const after = await disks(sim, 'stor-01');
    expect([after[1]?.used_for, after[2]?.used_for]).toEqual([
      'Cache device for cache0',
      'Backing device for bcache0',
    ]);
    const csUrl = `nodes/${sid(sim, 'stor-01')}/bcache-cache-set/${cs.json<Group>().id}/`;
    expect(answer(await req(sim, sim.users.admin, 'DELETE', csUrl))).toEqual([
      400,
      "Cannot delete cache set; it's currently in use.",
    ]);
    expect(
      (await req(sim, sim.users.admin, 'DELETE', `nodes/${sid(sim, 'stor-01')}/bcache/bcache0/`)).status,
    ).toBe(204);
    expect((await req(sim, sim.users.admin, 'DELETE', csUrl)).status).toBe(204);
    expect(answer(await req(sim, sim.users.admin, 'GET', csUrl))).toEqual([404, '']);
  });

  it("refuses what MAAS's bcache rules refuse", async () => {
    const sim = createSimulator();
    const [, a, b, c] = await disks(sim, 'stor-01');
    expect(answer(await post(sim, 'stor-01', 'bcache-cache-sets/'))).toEqual([
      400,
      '{"__all__": ["Either cache_device or cache_partition must be specified."]}',
    ]);
    const part = (await post(sim, 'stor-01', `blockdevices/${c?.id}/partitions/`, { size: '10G' })).json<{
      id: number;
    }>();
    expect(
      answer(
        await post(sim, 'stor-01', 'bcache-cache-sets/', {
          cache_device: String(a?.id),
          cache_partition: String(part.id),
        }),
      ),
    ).toEqual([400, '{"__all__": ["Cannot set both cache_device and cache_partition."]}']);
    await post(sim, 'stor-01', 'bcache-cache-sets/', { cache_device: String(a?.id) });
    const base = { name: 'bcache0', cache_set: 'cache0', cache_mode: 'writethrough' };
    expect(answer(await post(sim, 'stor-01', 'bcaches/', base))).toEqual([
      400,
      '{"__all__": ["Either backing_device or backing_partition must be specified."]}',
    ]);
    expect(
      answer(
        await post(sim, 'stor-01', 'bcaches/', {
          ...base,
          cache_mode: 'fast',
          backing_device: String(b?.id),
        }),
      ),
    ).toEqual([400, '{"cache_mode": ["Select a valid choice. fast is not one of the available choices."]}']);
    const vg = (
      await post(sim, 'stor-01', 'volume-groups/', { name: 'vg0', block_devices: String(b?.id) })
    ).json<Group>();
    const lv = (
      await post(sim, 'stor-01', `volume-group/${vg.id}/?op=create_logical_volume`, { name: 'lv' })
    ).json<Dev>();
    expect(
      answer(await post(sim, 'stor-01', 'bcaches/', { ...base, backing_device: String(lv.id) })),
    ).toEqual([400, '{"__all__": ["Bcache cannot use a logical volume as a backing device."]}']);
    sim.control.setMachine('stor-01', { status: S.ALLOCATED, owner: 'admin' });
    expect(
      answer(await post(sim, 'stor-01', 'bcache-cache-sets/', { cache_partition: String(part.id) })),
    ).toEqual([409, 'Cannot create cache set because the node is not Ready.']);
  });

  it('lists each kind on its own route and 404s by model name', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'db-02');
    expect(
      (await req(sim, sim.users.admin, 'GET', `nodes/${id}/volume-groups/`))
        .json<Group[]>()
        .map((g) => g.name),
    ).toEqual(['vgroot']);
    expect((await req(sim, sim.users.admin, 'GET', `nodes/${id}/raids/`)).json()).toEqual([]);
    expect((await req(sim, sim.users.admin, 'GET', `nodes/${id}/bcaches/`)).json()).toEqual([]);
    expect((await req(sim, sim.users.admin, 'GET', `nodes/${id}/bcache-cache-sets/`)).json()).toEqual([]);
    expect(answer(await req(sim, sim.users.admin, 'GET', `nodes/${id}/raid/md9/`))).toEqual([
      404,
      'No RAID matches the given query.',
    ]);
    expect(answer(await req(sim, sim.users.admin, 'GET', `nodes/${id}/bcache/1/`))).toEqual([
      404,
      'No Bcache matches the given query.',
    ]);
    expect(
      (await req(sim, sim.users.admin, 'GET', `nodes/${id}/volume-groups/vgroot/`)).json<Group>().name,
    ).toBe('vgroot');
  });
});
