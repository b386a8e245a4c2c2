import { describe, expect, it } from 'vitest';
import { GiB, MiB } from '../../src/core/sizes.ts';
import { planStorage, storageRequestProblems } from '../../src/core/storage-layouts.ts';
import { describeStep } from '../../src/core/storage-plan.ts';
import { renderStorageTree } from '../../src/core/storage-tree.ts';
import { disk, host } from './fixtures.ts';

const problemsOf = (...args: Parameters<typeof planStorage>) => planStorage(...args).problems;

describe('storage requests, whatever the machine', () => {
  it('refuses parameters of another layout, naming the field and what the layout takes', () => {
    expect(storageRequestProblems({ layout: 'flat', params: { lv_size: '10G' } })).toEqual([
      'params.lv_size does not apply to layout flat (it takes boot_size, root_size, root_device)',
    ]);
    expect(storageRequestProblems({ layout: 'blank', params: { efi_mb: 0 } })[0]).toMatch(/takes no params/);
    expect(storageRequestProblems({ layout: 'custom' })).toEqual(['spec is required for layout custom']);
    expect(storageRequestProblems({ layout: 'lvm', spec: {} })).toEqual([
      'spec is only for layout custom (not lvm)',
    ]);
    expect(
      storageRequestProblems({ layout: 'bcache', params: { cache_size: '1G', cache_no_part: true } })[0],
    ).toMatch(/cannot go together/);
  });
});

describe('efi_lvm', () => {
  it('draws the SDK’s layout with its default sizes and names the MAAS calls in order', () => {
    const plan = planStorage(host([disk('sda', 480)]), { layout: 'efi_lvm' });
    expect(plan.problems).toEqual([]);
    expect(renderStorageTree(plan.tree)).toEqual([
      'sda (480 GiB, ssd, boot disk), GPT:',
      '├─ sda-part1 512 MiB: fat32 → /boot/efi (bootable)',
      '├─ sda-part2 2 GiB: xfs → /boot (bootable)',
      '└─ sda-part3 477 GiB: LVM volume for vg-main',
      'volume group vg-main 477 GiB (387 GiB free) on sda-part3:',
      '├─ vg-main-root 50 GiB: xfs → /',
      '├─ vg-main-home 10 GiB: xfs → /home',
      '├─ vg-main-var 10 GiB: xfs → /var',
      '├─ vg-main-var-log 10 GiB: xfs → /var/log',
      '└─ vg-main-tmp 10 GiB: xfs → /tmp',
    ]);
    expect(plan.steps.map(describeStep).slice(0, 6)).toEqual([
      'set storage layout blank',
      'create partition sda-part1 on sda, 512 MiB, bootable',
      'format sda-part1 fat32 (label efi)',
      'mount sda-part1 at /boot/efi',
      'create partition sda-part2 on sda, 2 GiB, bootable',
      'format sda-part2 xfs (label boot)',
    ]);
    expect(plan.steps.filter((s) => s.op === 'create_logical_volume')).toHaveLength(5);
  });

  it('takes every size as a parameter; 0 leaves a volume out', () => {
    const plan = planStorage(host([disk('sda', 100), disk('sdb', 200)]), {
      layout: 'efi_lvm',
      params: {
        efi_mb: 256,
        boot_size_g: 1,
        root_size_g: 20,
        home_size_g: 0,
        var_size_g: 5,
        var_log_size_g: 2.5,
        tmp_size_g: 1,
        device: '/dev/sda',
      },
    });
    expect(plan.problems).toEqual([]);
    const sda = plan.tree.disks[0];
    expect(sda?.partitions.map((p) => p.size)).toEqual([256 * MiB, GiB, expect.any(Number)]);
    expect(plan.tree.volume_groups[0]?.logical_volumes.map((lv) => [lv.name, lv.size])).toEqual([
      ['vg-main-root', 20 * GiB],
      ['vg-main-var', 5 * GiB],
      ['vg-main-var-log', 2.5 * GiB],
      ['vg-main-tmp', GiB],
    ]);
  });

  it('refuses volumes that do not fit, saying how much room there is', () => {
    const [p] = problemsOf(host([disk('sda', 60)]), { layout: 'efi_lvm' });
    expect(p).toMatch(/^vg-main-home needs 10 GiB but volume group vg-main has 7\.\d+ GiB left/);
  });

  it('refuses an EFI partition on a BIOS machine and offers efi_mb 0', () => {
    const bios = host([disk('sda', 480)], { boot: 'pxe', hostname: 'edge-9' });
    expect(problemsOf(bios, { layout: 'efi_lvm' })).toEqual([
      'edge-9 does not boot UEFI (pxe): set params.efi_mb to 0 to leave the EFI partition out',
    ]);
    const plan = planStorage(bios, { layout: 'efi_lvm', params: { efi_mb: 0 } });
    expect(plan.problems).toEqual([]);
    // amd64 BIOS: MAAS keeps partition 1 for bios_grub.
    expect(plan.tree.disks[0]?.partitions.map((p) => p.name)).toEqual(['sda-part2', 'sda-part3']);
  });

  it('refuses an unknown device and a root volume of 0', () => {
    expect(problemsOf(host([disk('sda', 480)]), { layout: 'efi_lvm', params: { device: 'sdz' } })).toEqual([
      'params.device sdz is not a disk of node-1 (it has sda)',
    ]);
    expect(problemsOf(host([disk('sda', 480)]), { layout: 'efi_lvm', params: { root_size_g: 0 } })).toEqual([
      'params.root_size_g must be more than 0: it holds /',
    ]);
  });

  it('warns when the layout is not on the boot disk', () => {
    const plan = planStorage(host([disk('sda', 480), disk('sdb', 480)]), {
      layout: 'efi_lvm',
      params: { device: 'sdb' },
    });
    expect(plan.problems).toEqual([]);
    expect(plan.warnings.join(' ')).toMatch(/sdb is not the boot disk \(sda\)/);
  });
});

describe('MAAS presets', () => {
  it('sends one set_storage_layout with MAAS’s parameters (bytes, disk ids) and previews what MAAS builds', () => {
    const h = host([disk('sda', 100), disk('sdb', 200)]);
    const plan = planStorage(h, {
      layout: 'lvm',
      params: { root_device: 'sdb', lv_size: '20G', vg_name: 'sys' },
    });
    expect(plan.problems).toEqual([]);
    expect(plan.steps).toEqual([
      {
        op: 'set_storage_layout',
        layout: 'lvm',
        params: { root_device: h.disks[1]?.id, vg_name: 'sys', lv_size: 20_000_000_000 },
      },
    ]);
    expect(renderStorageTree(plan.tree)).toEqual([
      'sda (100 GiB, ssd, boot disk), GPT:',
      '└─ sda-part1 512 MiB: fat32 → /boot/efi (bootable)',
      'sdb (200 GiB, ssd), GPT:',
      '└─ sdb-part1 200 GiB: LVM volume for sys',
      'volume group sys 200 GiB (181 GiB free) on sdb-part1:',
      '└─ sys-lvroot 18.6 GiB: ext4 → /',
    ]);
  });

  it('checks boot_size, root_size and lv_size against MAAS’s bounds', () => {
    const h = host([disk('sda', 20)]);
    expect(problemsOf(h, { layout: 'flat', params: { boot_size: '100M' } })[0]).toMatch(
      /^params\.boot_size must be between 512 MiB and/,
    );
    expect(problemsOf(h, { layout: 'flat', params: { root_size: '1G' } })[0]).toMatch(
      /^params\.root_size must be between 3 GiB and/,
    );
    expect(problemsOf(h, { layout: 'flat', params: { boot_size: '10GiB', root_size: '10GiB' } })).toContain(
      'params.boot_size and params.root_size together are larger than the boot disk sda holds',
    );
    expect(problemsOf(h, { layout: 'lvm', params: { lv_size: '2G' } })[0]).toMatch(
      /^params\.lv_size must be between 3 GiB/,
    );
  });

  it('refuses bcache without a cache disk, as MAAS would, and says what to do', () => {
    expect(problemsOf(host([disk('sda', 100), disk('sdb', 100, ['rotary'])]), { layout: 'bcache' })).toEqual([
      'node-1 has no disk tagged ssd besides its boot disk for the cache: name one with params.cache_device, or use layout flat or lvm',
    ]);
    const plan = planStorage(host([disk('sda', 100), disk('sdb', 100, ['rotary'])]), {
      layout: 'bcache',
      params: { cache_device: 'sdb', cache_mode: 'writeback', cache_no_part: true },
    });
    expect(plan.problems).toEqual([]);
    expect(plan.tree.bcaches[0]).toMatchObject({
      backing: 'sda-part3',
      cache: 'sdb',
      cache_mode: 'writeback',
    });
  });

  it('gives blank no calls but one, and warns that MAAS will not deploy it', () => {
    const plan = planStorage(host([disk('sda', 100)]), { layout: 'blank' });
    expect(plan.steps).toEqual([{ op: 'set_storage_layout', layout: 'blank', params: {} }]);
    expect(plan.warnings).toEqual([
      'blank leaves nothing mounted at /: MAAS refuses to deploy the machine until a layout mounts one',
    ]);
  });

  it('refuses a machine without disks', () => {
    expect(problemsOf(host([]), { layout: 'flat' })[0]).toMatch(/has no boot disk.*commission it/);
  });
});

describe('custom layouts', () => {
  const four = () =>
    host([disk('sda', 100), disk('sdb', 500), disk('sdc', 500), disk('sdd', 500), disk('sde', 400)]);

  it('builds RAID 6 with a spare, a volume group on it with a "rest" volume in the middle, and formats', () => {
    const plan = planStorage(four(), {
      layout: 'custom',
      spec: {
        disks: [
          {
            name: 'sda',
            partitions: [
              { size: '512MiB', bootable: true, fstype: 'fat32', mount_point: '/boot/efi' },
              { size: 'rest', fstype: 'ext4', mount_point: '/' },
            ],
          },
        ],
        raids: [{ name: 'md0', level: 'raid-6', devices: ['sdb', 'sdc', 'sdd', 'sde'], spares: [] }],
        volume_groups: [
          {
            name: 'data',
            devices: ['md0'],
            logical_volumes: [
              { name: 'a', size: '100GiB', fstype: 'xfs', mount_point: '/a' },
              { name: 'b', size: 'rest', fstype: 'xfs', mount_point: '/b' },
              { name: 'c', size: '10GiB' },
            ],
          },
        ],
      },
    });
    expect(plan.problems).toEqual([]);
    const vg = plan.tree.volume_groups[0];
    expect(vg?.free).toBe(0);
    expect(vg?.logical_volumes.map((lv) => lv.size)).toEqual([100 * GiB, vg!.size - 110 * GiB, 10 * GiB]);
    // The smallest member (sde, 400 GiB) sets the size: 400 × (4 − 2) less the superblock.
    expect(plan.tree.raids[0]?.size).toBe(800 * GiB - 128 * 1024);
    const lvSteps = plan.steps.filter((s) => s.op === 'create_logical_volume');
    expect(lvSteps.map((s) => s.size)).toEqual([100 * GiB, vg!.size - 110 * GiB, 10 * GiB]);
  });

  it('sends no size for a trailing "rest", so MAAS gives it all that is left', () => {
    const plan = planStorage(four(), {
      layout: 'custom',
      spec: {
        disks: [
          { name: 'sda', partitions: [{ size: '1G' }, { size: 'rest', fstype: 'ext4', mount_point: '/' }] },
        ],
      },
    });
    const parts = plan.steps.filter((s) => s.op === 'create_partition');
    expect(parts.map((s) => s.size)).toEqual([alignDown(1e9), undefined]);
  });

  it('puts the boot disk in a group through a partition, as MAAS does, and says so', () => {
    const plan = planStorage(four(), {
      layout: 'custom',
      spec: {
        volume_groups: [
          {
            name: 'vg0',
            devices: ['sda', 'sdb'],
            logical_volumes: [{ name: 'root', size: 'rest', fstype: 'ext4', mount_point: '/' }],
          },
        ],
      },
    });
    expect(plan.problems).toEqual([]);
    expect(plan.tree.volume_groups[0]?.devices).toEqual(['sda-part1', 'sdb']);
    expect(plan.warnings[0]).toBe(
      'MAAS puts the boot disk sda in a group only through a partition: sda-part1 spans it',
    );
  });

  it('collects every problem at once: unknown devices, two rests, twice-used devices, mounts, levels, names', () => {
    const problems = problemsOf(four(), {
      layout: 'custom',
      spec: {
        disks: [
          { name: 'sdx', partitions: [{ size: '1G' }] },
          { name: 'sda', partitions: [{ size: 'rest' }, { size: 'rest' }] },
          { name: 'sdb', fstype: 'ext4', mount_point: 'srv' },
          { name: 'sdc', fstype: 'ext4', mount_point: '/srv' },
          { name: 'sdd', fstype: 'swap', mount_point: '/swap' },
        ],
        raids: [
          { name: 'md0', level: 'raid-5', devices: ['sde', 'sdc'] },
          { name: 'md1', level: 'raid-0', devices: ['sde', 'sdd'], spares: ['sdb'] },
        ],
        bcaches: [{ name: 'bad name', backing: 'sde', cache: 'sdb' }],
        volume_groups: [{ name: 'vg0', devices: ['sda-part9'] }],
      },
    });
    expect(problems).toEqual([
      'spec.disks: sdx is not a disk of node-1 (it has sda, sdb, sdc, sdd, sde)',
      'disk sda: only one size can be "rest" (got 2)',
      'sdb: mount_point "srv" must be an absolute path such as /srv',
      'sdd: swap has no mount point (leave mount_point out)',
      'md0: raid-5 needs at least 3 devices (got 2)',
      'md1: raid-0 needs at least 2 devices and no spares (got 2 and 1 spares)',
      'bcache name "bad name" must be letters, digits, "_", ".", "+" or "-" (at most 63)',
      'sda-part9 (to join volume group vg0) is not a disk of node-1 nor made by this layout',
    ]);
  });

  it('refuses a filesystem on the whole boot disk, a mount point used twice, and a logical volume as bcache backing', () => {
    const problems = problemsOf(four(), {
      layout: 'custom',
      spec: {
        disks: [
          { name: 'sda', fstype: 'ext4', mount_point: '/' },
          { name: 'sdb', fstype: 'xfs', mount_point: '/data' },
          { name: 'sdc', fstype: 'xfs', mount_point: '/data' },
        ],
        volume_groups: [{ name: 'vg', devices: ['sdd'], logical_volumes: [{ name: 'lv', size: '10G' }] }],
        bcaches: [{ name: 'bcache0', backing: 'vg-lv', cache: 'sde' }],
      },
    });
    expect(problems).toEqual([
      'sda is the boot disk: MAAS places no filesystem directly on it — give it a partition and format that',
      'sdc: /data is mounted twice in this layout',
      'bcache0: bcache cannot use a logical volume (vg-lv) as its backing device',
    ]);
  });

  it('refuses partitions that do not fit and devices used twice', () => {
    const problems = problemsOf(four(), {
      layout: 'custom',
      spec: {
        disks: [{ name: 'sda', partitions: [{ size: '200GiB', fstype: 'ext4', mount_point: '/' }] }],
        raids: [{ name: 'md0', level: 'raid-1', devices: ['sdb', 'sdc'] }],
        volume_groups: [{ name: 'vg0', devices: ['sdb'] }],
      },
    });
    expect(problems[0]).toMatch(/^sda-part1 needs 200 GiB but sda has 100 GiB left/);
    expect(problems[1]).toBe('sdb is used twice (already: Active raid-1 device for md0)');
  });
});

function alignDown(n: number) {
  return Math.floor(n / (4 * MiB)) * 4 * MiB;
}
