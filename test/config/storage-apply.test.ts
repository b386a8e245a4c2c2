/**
 * Storage plans run against the simulator: what MAAS builds, read back, is exactly the preview (sizes to the byte,
 * names, filesystems, mounts), for every layout; a call failing part-way is reported and leaves a blank machine
 * that the same plan then lays out.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyStoragePlan } from '../../src/core/storage-apply.ts';
import { planStorage, type StorageRequest } from '../../src/core/storage-layouts.ts';
import { type SimHttp, simHttp, sorted } from './fixtures.ts';

let s: SimHttp;
beforeEach(() => {
  s = simHttp();
});
afterEach(() => s.close());

async function layOut(hostname: string, req: StorageRequest) {
  const host = await s.storageHost(hostname);
  const plan = planStorage(host, req);
  expect(plan.problems).toEqual([]);
  const result = await applyStoragePlan(s.http, s.sid(hostname), host, plan.steps);
  expect(result.failed).toBeUndefined();
  expect(sorted(await s.storageTree(hostname))).toEqual(sorted(plan.tree));
  return plan;
}

const efi = { size: '512MiB', bootable: true, fstype: 'fat32', mount_point: '/boot/efi' } as const;

describe('every layout, applied, is what the preview showed', () => {
  it('flat, lvm and bcache presets (one set_storage_layout each)', async () => {
    await layOut('stor-01', { layout: 'flat', params: { boot_size: '1G', root_size: '500G' } });
    await layOut('stor-01', { layout: 'lvm', params: { vg_name: 'sys', lv_name: 'root', lv_size: '100G' } });
    await layOut('stor-01', { layout: 'bcache', params: { cache_mode: 'writeback', cache_size: '200G' } });
    await layOut('edge-02', { layout: 'flat' });
  });

  it('blank', async () => {
    const plan = await layOut('web-01', { layout: 'blank' });
    expect(plan.tree.disks.every((d) => d.partitions.length === 0 && d.filesystem === null)).toBe(true);
  });

  it('efi_lvm with the SDK’s default sizes, and with its own sizes on another disk', async () => {
    await layOut('db-02', { layout: 'efi_lvm' });
    await layOut('db-02', {
      layout: 'efi_lvm',
      params: {
        efi_mb: 1024,
        boot_size_g: 1,
        root_size_g: 100,
        home_size_g: 0,
        var_size_g: 20,
        var_log_size_g: 5,
        tmp_size_g: 2,
      },
    });
    await layOut('edge-02', { layout: 'efi_lvm', params: { efi_mb: 0, vg_name: 'sys' } });
  });

  it('custom: RAID 0, RAID 1 with a spare, RAID 5, and a volume group over a partition and a RAID with a "rest" volume', async () => {
    const third = { partitions: [{ size: '100G' }, { size: '100G' }, { size: 'rest' }] };
    const plan = await layOut('stor-01', {
      layout: 'custom',
      spec: {
        disks: [
          {
            name: 'nvme0n1',
            partitions: [efi, { size: '50G', fstype: 'ext4', mount_point: '/' }, { size: 'rest' }],
          },
          { name: 'nvme1n1', ...third },
          { name: 'nvme2n1', ...third },
          { name: 'nvme3n1', ...third },
        ],
        raids: [
          {
            name: 'md0',
            level: 'raid-1',
            devices: ['nvme1n1-part1', 'nvme2n1-part1'],
            spares: ['nvme3n1-part1'],
            fstype: 'xfs',
            mount_point: '/srv/db',
          },
          { name: 'md1', level: 'raid-5', devices: ['nvme1n1-part2', 'nvme2n1-part2', 'nvme3n1-part2'] },
          {
            name: 'md2',
            level: 'raid-0',
            devices: ['nvme1n1-part3', 'nvme2n1-part3', 'nvme3n1-part3'],
            fstype: 'xfs',
            mount_point: '/scratch',
          },
        ],
        volume_groups: [
          {
            name: 'data',
            devices: ['nvme0n1-part3', 'md1'],
            logical_volumes: [
              { name: 'logs', size: '20G', fstype: 'xfs', mount_point: '/var/log' },
              { name: 'bulk', size: 'rest', fstype: 'xfs', mount_point: '/data' },
            ],
          },
        ],
      },
    });
    expect(plan.tree.raids.map((r) => [r.name, r.level, r.spares])).toEqual([
      ['md0', 'raid-1', ['nvme3n1-part1']],
      ['md1', 'raid-5', []],
      ['md2', 'raid-0', []],
    ]);
    expect(plan.tree.volume_groups[0]?.free).toBe(0);
  });

  it('custom: RAID 6 for / and RAID 10 with a spare', async () => {
    await layOut('stor-01', {
      layout: 'custom',
      spec: {
        disks: [
          { name: 'nvme0n1', partitions: [efi, { size: 'rest' }] },
          { name: 'nvme1n1', partitions: [{ size: '1.5T' }, { size: '1T' }, { size: 'rest' }] },
          { name: 'nvme2n1', partitions: [{ size: '1.5T' }, { size: '1T' }] },
          { name: 'nvme3n1', partitions: [{ size: '1.5T' }, { size: '1T' }] },
        ],
        raids: [
          {
            name: 'md0',
            level: 'raid-6',
            devices: ['nvme0n1-part2', 'nvme1n1-part1', 'nvme2n1-part1', 'nvme3n1-part1'],
            fstype: 'ext4',
            mount_point: '/',
          },
          {
            name: 'md1',
            level: 'raid-10',
            devices: ['nvme1n1-part2', 'nvme2n1-part2', 'nvme3n1-part2'],
            spares: ['nvme1n1-part3'],
            fstype: 'xfs',
            mount_point: '/srv',
          },
        ],
      },
    });
  });

  it('custom: bcache on a partition with a whole-disk cache, and the boot disk joining a volume group through a partition', async () => {
    await layOut('stor-01', {
      layout: 'custom',
      spec: {
        disks: [
          {
            name: 'nvme1n1',
            partitions: [{ size: '1T' }, { size: 'rest', fstype: 'ext4', mount_point: '/srv' }],
          },
        ],
        bcaches: [
          {
            name: 'bcache0',
            backing: 'nvme1n1-part1',
            cache: 'nvme2n1',
            cache_mode: 'writeback',
            fstype: 'xfs',
            mount_point: '/var',
          },
        ],
        volume_groups: [
          {
            name: 'vg0',
            devices: ['nvme0n1', 'nvme3n1'],
            logical_volumes: [{ name: 'root', size: 'rest', fstype: 'ext4', mount_point: '/' }],
          },
        ],
      },
    });
  });
});

describe('a call failing part-way', () => {
  it('says what was applied, puts the machine back to blank, and the same plan then succeeds', async () => {
    const host = await s.storageHost('db-02');
    const plan = planStorage(host, { layout: 'efi_lvm' });
    s.sim.control.failRequests({
      method: 'POST',
      op: 'create_logical_volume',
      status: 503,
      body: 'Unable to connect to any rack controller; no connections available.',
    });
    const failed = await applyStoragePlan(s.http, s.sid('db-02'), host, plan.steps);
    expect(failed.applied).toEqual([
      'set storage layout blank',
      'create partition sda-part1 on sda, 512 MiB, bootable',
      'format sda-part1 fat32 (label efi)',
      'mount sda-part1 at /boot/efi',
      'create partition sda-part2 on sda, 2 GiB, bootable',
      'format sda-part2 xfs (label boot)',
      'mount sda-part2 at /boot',
      'create partition sda-part3 on sda, all the space left',
      'create volume group vg-main on sda-part3',
    ]);
    expect(failed.failed).toEqual({
      step: 'create logical volume vg-main-root, 50 GiB',
      error:
        'MAAS is temporarily unavailable: Unable to connect to any rack controller; no connections available.',
    });
    expect(failed.reset).toBe('blank');
    const blank = await s.storageTree('db-02');
    expect(blank.volume_groups).toEqual([]);
    expect(blank.disks.every((d) => d.partitions.length === 0)).toBe(true);

    const retry = await applyStoragePlan(s.http, s.sid('db-02'), host, plan.steps);
    expect(retry.failed).toBeUndefined();
    expect(sorted(await s.storageTree('db-02'))).toEqual(sorted(plan.tree));
  });

  it('after a lost answer (the call took effect) the reset still leaves nothing behind', async () => {
    const host = await s.storageHost('stor-01');
    const plan = planStorage(host, {
      layout: 'custom',
      spec: {
        raids: [
          {
            name: 'md0',
            level: 'raid-5',
            devices: ['nvme1n1', 'nvme2n1', 'nvme3n1'],
            fstype: 'xfs',
            mount_point: '/srv',
          },
        ],
        disks: [{ name: 'nvme0n1', partitions: [efi, { size: 'rest', fstype: 'ext4', mount_point: '/' }] }],
      },
    });
    s.sim.control.failRequests({
      method: 'POST',
      path: /raids\/$/,
      status: 500,
      body: 'Internal Server Error',
      when: 'after',
    });
    const failed = await applyStoragePlan(s.http, s.sid('stor-01'), host, plan.steps);
    expect(failed.failed?.step).toBe('create raid-5 md0 on nvme1n1, nvme2n1, nvme3n1');
    expect(failed.reset).toBe('blank');
    expect((await s.storageTree('stor-01')).raids).toEqual([]);
  });

  it('says so when putting it back to blank fails too', async () => {
    const host = await s.storageHost('db-02');
    const plan = planStorage(host, { layout: 'efi_lvm' });
    s.sim.control.failRequests({ method: 'POST', path: /volume-groups\/$/, status: 503, body: 'rack down' });
    const flaky = {
      call: (req: Parameters<typeof s.http.call>[0]) => {
        if (req.path.endsWith('volume-groups/'))
          s.sim.control.failRequests({ op: 'set_storage_layout', status: 503, body: 'rack down' });
        return s.http.call(req);
      },
    };
    const failed = await applyStoragePlan(flaky, s.sid('db-02'), host, plan.steps);
    expect(failed.reset).toBe('failed');
    expect(failed.resetError).toBe('MAAS is temporarily unavailable: rack down');
    expect(failed.applied.at(-1)).toBe('create partition sda-part3 on sda, all the space left');
  });

  it('applies nothing when the first call is refused (MAAS rolls a refused request back)', async () => {
    const host = await s.storageHost('db-02');
    const plan = planStorage(host, { layout: 'lvm' });
    s.sim.control.setMachine('db-02', { status: 10, owner: 'admin' });
    const failed = await applyStoragePlan(s.http, s.sid('db-02'), host, plan.steps);
    expect(failed).toEqual({
      applied: [],
      failed: {
        step: 'set storage layout lvm',
        error: 'MAAS refused: Cannot change the storage layout on a machine that is not Ready.',
      },
    });
  });
});
