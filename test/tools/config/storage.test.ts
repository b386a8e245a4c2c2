/**
 * machine_storage and machine_storage_layout through a real MCP client against the simulator: the tree as text and
 * bytes, each layout previewed per machine then applied exactly as previewed, refusals with what to do, a fault in
 * the middle of a layout and the retry that finishes it, and a bulk call over twenty machines.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigResult } from '../../../src/core/config-action.ts';
import type { StorageTree } from '../../../src/core/storage-tree.ts';
import { call, VIEWER } from '../../helpers.ts';
import { drive, readyHosts, runCleanups, setup } from '../write-helpers.ts';

afterEach(runCleanups);

type Read = { hostname: string; layout: StorageTree; boot_disk: string | null };
const sortGroups = (t: StorageTree) => ({
  ...t,
  volume_groups: t.volume_groups.map((v) => ({ ...v, devices: [...v.devices].sort() })),
  raids: t.raids.map((r) => ({ ...r, devices: [...r.devices].sort(), spares: [...r.spares].sort() })),
});

describe('machine_storage', () => {
  it('shows disks, partitions, volume groups and volumes: human sizes in text, bytes in structure (a viewer may)', async () => {
    const { connect } = await setup();
    const viewer = await connect(VIEWER);
    const res = await call<Read>(viewer, 'machine_storage', { machine: 'db-01' });
    expect(res.isError).toBe(false);
    expect(res.text.split('\n').slice(0, 5)).toEqual([
      expect.stringMatching(/^db-01 \(\w+\), Deployed — storage:$/),
      '  sda (1.75 TiB, ssd, boot disk), GPT:',
      '  ├─ sda-part1 512 MiB: fat32 → /boot/efi (bootable)',
      expect.stringMatching(/^ {2}└─ sda-part2 1\.75 TiB: LVM volume for vgroot$/),
      expect.stringMatching(/^ {2}sdb \(894 GiB, ssd\): xfs → /),
    ]);
    expect(res.text).toMatch(
      /volume group vgroot 1\.75 TiB \(0 B free\) on sda-part2:\n {2}└─ vgroot-lvroot 1\.75 TiB: ext4 → \/$/m,
    );
    expect(res.data.boot_disk).toBe('sda');
    const sda = res.data.layout.disks[0];
    expect(sda?.size).toBe(1920383410176);
    expect(sda?.partitions[0]).toMatchObject({ name: 'sda-part1', size: 536870912, bootable: true });
    expect(res.data.layout.volume_groups[0]?.logical_volumes[0]?.filesystem).toEqual({
      fstype: 'ext4',
      mount_point: '/',
      label: 'root',
    });
  });
});

describe('machine_storage_layout', () => {
  it('previews each machine’s final layout, writes nothing, and once confirmed builds exactly that', async () => {
    const { sim, client, clock } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const args = {
      machines: ['db-02', 'stor-01'],
      layout: 'efi_lvm',
      params: { root_size_g: 40, var_log_size_g: 20 },
    };
    const preview = await call<ConfigResult>(client, 'machine_storage_layout', args);
    expect(preview.data.status).toBe('confirmation_required');
    expect(sim.requests.count({ method: 'POST' })).toBe(0);
    const [db02, stor01] = preview.data.preview ?? [];
    expect(db02?.effect).toBe(
      'lay out efi_lvm on db-02, replacing all its storage: sda: sda-part1 512 MiB fat32 /boot/efi, sda-part2 2 GiB xfs /boot, sda-part3 1.74 TiB LVM vg-main; vg-main 1.74 TiB: root 40 GiB xfs /, home 10 GiB xfs /home, var 10 GiB xfs /var, var-log 20 GiB xfs /var/log, tmp 10 GiB xfs /tmp (1.66 TiB free) (24 MAAS calls)',
    );
    expect(stor01?.effect).toMatch(
      /^lay out efi_lvm on stor-01, replacing all its storage: nvme0n1: nvme0n1-part1 512 MiB/,
    );
    expect(preview.text).toContain('db-02');

    const done = await drive(
      clock,
      call<ConfigResult>(client, 'machine_storage_layout', {
        ...args,
        confirm_token: preview.data.confirm_token,
      }),
    );
    expect(done.data.summary).toBe('configure storage: 2 done');
    for (const d of done.data.details ?? []) {
      expect(d.outcome).toBe('done');
      expect(d.applied).toHaveLength(24);
      const read = await call<Read>(client, 'machine_storage', { machine: d.hostname });
      expect(sortGroups(read.data.layout)).toEqual(sortGroups(d.layout as StorageTree));
    }
  });

  it('applies every layout: MAAS’s presets, efi_lvm and a custom RAID/LVM tree', async () => {
    const { client } = await setup();
    const cases: Record<string, unknown>[] = [
      { layout: 'flat', params: { boot_size: '1G' } },
      { layout: 'lvm', params: { lv_size: '100G' } },
      { layout: 'bcache', params: { cache_mode: 'writeback' } },
      { layout: 'blank' },
      { layout: 'efi_lvm' },
      {
        layout: 'custom',
        spec: {
          disks: [
            {
              name: 'nvme0n1',
              partitions: [
                { size: '512MiB', bootable: true, fstype: 'fat32', mount_point: '/boot/efi' },
                { size: 'rest' },
              ],
            },
          ],
          raids: [
            {
              name: 'md0',
              level: 'raid-5',
              devices: ['nvme0n1-part2', 'nvme1n1', 'nvme2n1'],
              spares: ['nvme3n1'],
            },
          ],
          volume_groups: [
            {
              name: 'vg0',
              devices: ['md0'],
              logical_volumes: [
                { name: 'root', size: '100G', fstype: 'ext4', mount_point: '/' },
                { name: 'srv', size: 'rest', fstype: 'xfs', mount_point: '/srv' },
              ],
            },
          ],
        },
      },
    ];
    for (const c of cases) {
      const res = await call<ConfigResult>(client, 'machine_storage_layout', { machines: 'stor-01', ...c });
      expect(res.isError, res.text).toBe(false);
      const [d] = res.data.details ?? [];
      expect(d?.outcome, `${c.layout}: ${res.text}`).toBe('done');
      const read = await call<Read>(client, 'machine_storage', { machine: 'stor-01' });
      expect(sortGroups(read.data.layout), String(c.layout)).toEqual(sortGroups(d?.layout as StorageTree));
    }
  });

  it('refuses machines MAAS would refuse, each with what to do, and lays out the others', async () => {
    const { client } = await setup();
    const res = await call<ConfigResult>(client, 'machine_storage_layout', {
      machines: ['web-05', 'web-04', 'new-01', 'k8s-03', 'web-02'],
      layout: 'efi_lvm',
    });
    expect(res.data.failed.map((f) => [f.hostname, f.error])).toEqual([
      [
        'web-05',
        'web-05 is Allocated: MAAS changes storage only on Ready machines — release it first (machine_release)',
      ],
      [
        'web-04',
        'web-04 is Deployed: MAAS changes storage only on Ready machines — release it first (machine_release)',
      ],
      [
        'new-01',
        'new-01 is New: MAAS changes storage only on Ready machines — commission it first (machine_commission)',
      ],
      [
        'k8s-03',
        "cannot lay out k8s-03: vg-main-root needs 50 GiB but volume group vg-main has 47.5 GiB left (47.5 GiB after LVM's 4 MiB per physical volume)",
      ],
    ]);
    expect(res.data.succeeded.map((r) => r.hostname)).toEqual(['web-02']);
    expect(res.data.summary).toBe('configure storage: 1 done, 4 failed or refused');
  });

  it('answers bad input naming the field, and changes nothing', async () => {
    const { sim, client } = await setup();
    const bad = async (args: Record<string, unknown>) => {
      const res = await call(client, 'machine_storage_layout', { machines: 'db-02', ...args });
      expect(res.isError).toBe(true);
      return res.text;
    };
    expect(await bad({ layout: 'zfs' })).toMatch(/layout/);
    expect(await bad({ layout: 'flat', params: { efi_mb: 100 } })).toContain(
      'params.efi_mb does not apply to layout flat (it takes boot_size, root_size, root_device)',
    );
    expect(await bad({ layout: 'custom' })).toContain('spec is required for layout custom');
    expect(
      await bad({ layout: 'custom', spec: { disks: [{ name: 'sda', partitions: [{ size: 'lots' }] }] } }),
    ).toMatch(/^spec\.disks\[0\]\.partitions\[0\]\.size: must be "rest" or a size: /);
    expect(await bad({ layout: 'efi_lvm', params: { efi_mb: 512, colour: 'blue' } })).toMatch(/colour/);
    expect(sim.requests.count({ method: 'POST' })).toBe(0);
  });

  it('reports a failure part-way: what was applied, the machine back to blank; the same call then succeeds', async () => {
    const { sim, client } = await setup();
    // The first logical volume fails, after the partitions and the volume group went through.
    sim.control.failRequests({
      method: 'POST',
      op: 'create_logical_volume',
      status: 503,
      body: 'rack controller lost',
    });
    const res = await call<ConfigResult>(client, 'machine_storage_layout', {
      machines: 'db-02',
      layout: 'efi_lvm',
    });
    const [d] = res.data.details ?? [];
    expect(d).toMatchObject({
      outcome: 'failed',
      failed_step: 'create logical volume vg-main-root, 50 GiB',
      error: 'MAAS is temporarily unavailable: rack controller lost',
      recovery:
        'it was put back to a blank layout (the first call had already cleared its previous one): fix the cause and make the same call again',
    });
    expect(d?.applied).toEqual([
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
    expect(res.isError).toBe(true);
    expect(res.text).toContain('db-02: FAILED at "create logical volume vg-main-root, 50 GiB"');
    expect(res.data.failed[0]?.error).toMatch(
      /after 9 of its calls went through: .* — it was put back to a blank layout/,
    );
    const blank = await call<Read>(client, 'machine_storage', { machine: 'db-02' });
    expect(blank.data.layout.disks.every((disk) => disk.partitions.length === 0)).toBe(true);
    expect(blank.data.layout.volume_groups).toEqual([]);

    const again = await call<ConfigResult>(client, 'machine_storage_layout', {
      machines: 'db-02',
      layout: 'efi_lvm',
    });
    expect(again.data.details?.[0]?.outcome).toBe('done');
  });

  it('lays out twenty machines at once, with a result per machine', async () => {
    const { sim, client } = await setup({ machines: 80 });
    const hosts = readyHosts(sim, 20);
    expect(hosts).toHaveLength(20);
    const res = await call<ConfigResult>(client, 'machine_storage_layout', {
      machines: hosts,
      layout: 'efi_lvm',
    });
    const details = res.data.details ?? [];
    expect(details.map((d) => d.hostname).sort()).toEqual([...hosts].sort());
    const done = details.filter((d) => d.outcome === 'done');
    const refused = details.filter((d) => d.outcome === 'refused');
    expect(done.length + refused.length).toBe(20);
    expect(done.length).toBeGreaterThan(10);
    // Machines too small for the SDK's 90 GiB of volumes are refused with the numbers, BIOS ones for the EFI partition.
    for (const r of refused)
      expect(r.error).toMatch(
        /needs [\d.]+ GiB but volume group vg-main has [\d.]+ (GiB|MiB) left|does not boot UEFI/,
      );
    expect(res.data.summary).toBe(
      `configure storage: ${done.length} done${refused.length ? `, ${refused.length} failed or refused` : ''}`,
    );
    for (const d of done) {
      const read = await call<Read>(client, 'machine_storage', { machine: d.hostname });
      expect(sortGroups(read.data.layout)).toEqual(sortGroups(d.layout as StorageTree));
    }
  });
});
