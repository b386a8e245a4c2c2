import { describe, expect, it } from 'vitest';
import {
  diskAvailable,
  firstPartitionIndex,
  GiB,
  humanSize,
  MiB,
  parseSize,
  raidSize,
  SizeOrRest,
  tableOverhead,
  volumeGroupSize,
} from '../../src/core/sizes.ts';

const uefi = { architecture: 'amd64/generic', bootMethod: 'uefi' };
const bios = { architecture: 'amd64/generic', bootMethod: 'pxe' };

describe('MAAS storage arithmetic', () => {
  it('matches MAAS’s worked example of a 100 GB disk (UEFI and BIOS)', () => {
    expect(diskAvailable(uefi, 1e11)).toBe(99_992_207_360);
    expect(diskAvailable(uefi, 1e11, 512 * MiB)).toBe(99_455_336_448);
    expect(diskAvailable(bios, 1e11)).toBe(99_992_207_360);
  });

  it('charges every disk 5 MiB, 6 MiB on amd64 BIOS, 13 MiB on ppc64el', () => {
    expect(tableOverhead(uefi)).toBe(5 * MiB);
    expect(tableOverhead(bios)).toBe(6 * MiB);
    expect(tableOverhead({ architecture: 'ppc64el/generic', bootMethod: 'uefi' })).toBe(13 * MiB);
    expect(tableOverhead({ architecture: 'arm64/generic', bootMethod: 'pxe' })).toBe(5 * MiB);
  });

  it('numbers the first partition 2 on amd64 BIOS physical disks and the ppc64el boot disk, else 1', () => {
    expect(firstPartitionIndex(uefi, { physical: true, bootDisk: true })).toBe(1);
    expect(firstPartitionIndex(bios, { physical: true, bootDisk: false })).toBe(2);
    expect(
      firstPartitionIndex(
        { architecture: 'ppc64el/generic', bootMethod: 'uefi' },
        { physical: true, bootDisk: true },
      ),
    ).toBe(2);
    expect(
      firstPartitionIndex(
        { architecture: 'ppc64el/generic', bootMethod: 'uefi' },
        { physical: true, bootDisk: false },
      ),
    ).toBe(1);
  });

  it('sizes a volume group as MAAS’s example does (one 4 MiB extent per physical volume)', () => {
    expect(volumeGroupSize([7_994_343_424])).toBe(7_990_149_120);
    expect(volumeGroupSize([8 * GiB, 8 * GiB])).toBe(16 * GiB - 8 * MiB);
  });

  it('sizes RAIDs by level with the smallest member (spares included) and a 128 KiB superblock', () => {
    const o = 128 * 1024;
    expect(
      raidSize(
        'raid-0',
        [10, 20].map((g) => g * GiB),
        [],
      ),
    ).toBe(30 * GiB - 2 * o);
    expect(raidSize('raid-1', [10 * GiB, 20 * GiB], [5 * GiB])).toBe(5 * GiB - o);
    expect(raidSize('raid-5', [10 * GiB, 10 * GiB, 10 * GiB], [])).toBe(20 * GiB - o);
    expect(raidSize('raid-6', [10 * GiB, 10 * GiB, 10 * GiB, 10 * GiB], [])).toBe(20 * GiB - o);
    expect(raidSize('raid-10', [10 * GiB, 10 * GiB, 10 * GiB], [])).toBe(15 * GiB - o);
  });
});

describe('size words', () => {
  it('reads K/M/G/T as powers of 1000 (as MAAS) and KiB/MiB/GiB/TiB as powers of 1024', () => {
    expect(parseSize('10G')).toBe(10_000_000_000);
    expect(parseSize('512M')).toBe(512_000_000);
    expect(parseSize('1.5T')).toBe(1_500_000_000_000);
    expect(parseSize('512MiB')).toBe(512 * MiB);
    expect(parseSize('2 GiB')).toBe(2 * GiB);
    expect(parseSize('100GB')).toBe(100e9);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('4096')).toBe(4096);
  });

  it('refuses what is not a size, and the schema says what is accepted', () => {
    for (const bad of ['ten', '10X', '-5G', '', '1e3', 1.5]) expect(parseSize(bad as string)).toBeUndefined();
    const r = SizeOrRest.safeParse('10 gigs');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/must be "rest" or a size: .*"50G" or "512MiB"/);
    expect(SizeOrRest.safeParse('rest').success).toBe(true);
  });

  it('shows sizes in powers of 1024 with three figures', () => {
    expect(humanSize(512 * MiB)).toBe('512 MiB');
    expect(humanSize(50 * GiB)).toBe('50 GiB');
    expect(humanSize(1920383410176)).toBe('1.75 TiB');
    expect(humanSize(999)).toBe('999 B');
    expect(humanSize(9999220736)).toBe('9.31 GiB');
  });
});
