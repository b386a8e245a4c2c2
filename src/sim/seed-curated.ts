/**
 * The 24 curated machines every simulated fleet starts with. Hostnames and states are pinned: other tests and
 * the docs rely on them (web-03 locked, k8s-0x owned by bob, lab-01/lab-02 mid-operation, …).
 */

import type { DiskKind } from './hardware.ts';
import type { StorageLayoutName } from './layouts.ts';
import { S, type Status } from './status.ts';

export type Power = 'ipmi' | 'redfish' | 'virsh' | 'manual';

export interface Spec {
  hostname: string;
  status: Status;
  owner?: string;
  locked?: boolean;
  zone: string;
  pool: string;
  tags: string[];
  arch?: string;
  cpu: number;
  memGiB: number;
  power: Power;
  nics: number;
  disks: number;
  disk?: DiskKind;
  series?: string;
  error?: string;
  description?: string;
  /** The storage layout the machine was given (default: MAAS's flat). */
  layout?: StorageLayoutName;
  /** `bios_boot_method` (default `uefi`). */
  boot?: string;
}

type Extra = Partial<
  Pick<Spec, 'owner' | 'locked' | 'arch' | 'disk' | 'series' | 'error' | 'description' | 'layout' | 'boot'>
>;

/** `hw` reads "<cpus> <GiB> <power> <nics> <disks>", e.g. "4 8 ipmi 2 1". */
function row(
  hostname: string,
  status: Status,
  zone: string,
  pool: string,
  tags: string,
  hw: string,
  extra: Extra = {},
): Spec {
  const [cpu, mem, power, nics, disks] = hw.split(' ');
  return {
    hostname,
    status,
    zone,
    pool,
    tags: tags ? tags.split(' ') : [],
    cpu: Number(cpu),
    memGiB: Number(mem),
    power: power as Power,
    nics: Number(nics),
    disks: Number(disks),
    ...extra,
  };
}

const INSTALL_FAILED = 'Installation failed (refer to the installation log for more information).';
const admin = { owner: 'admin' };
const bob = { owner: 'bob', disk: 'virtio', series: 'noble' } as const;

export const CURATED: readonly Spec[] = [
  row('web-01', S.READY, 'zone-a', 'production', 'compute ssd', '4 8 ipmi 2 1'),
  row('web-02', S.READY, 'zone-a', 'production', 'compute ssd', '4 16 ipmi 2 2'),
  row('web-03', S.DEPLOYED, 'zone-a', 'production', 'compute ssd', '8 16 ipmi 3 2', {
    ...admin,
    locked: true,
    series: 'jammy',
    description: 'Public web frontend (locked: serving traffic)',
  }),
  row('web-04', S.DEPLOYED, 'zone-b', 'production', 'compute', '8 32 redfish 2 1', {
    ...admin,
    series: 'noble',
  }),
  row('web-05', S.ALLOCATED, 'zone-b', 'production', 'compute', '4 8 ipmi 2 1', admin),
  row('web-06', S.READY, 'zone-b', 'staging', 'compute', '8 16 ipmi 4 2'),
  row('db-01', S.DEPLOYED, 'zone-a', 'production', 'ssd compute', '16 64 ipmi 4 3', {
    ...admin,
    series: 'jammy',
    description: 'PostgreSQL primary',
    layout: 'lvm',
  }),
  row('db-02', S.READY, 'zone-b', 'production', 'ssd', '16 64 ipmi 4 3', { layout: 'lvm' }),
  row('db-03', S.FAILED_DEPLOYMENT, 'zone-a', 'staging', 'ssd', '16 32 ipmi 2 2', {
    ...admin,
    series: 'jammy',
    error: INSTALL_FAILED,
    layout: 'lvm',
  }),
  row('gpu-01', S.READY, 'zone-a', 'production', 'gpu compute', '32 128 ipmi 2 2', { disk: 'nvme' }),
  row('gpu-02', S.BROKEN, 'zone-b', 'production', 'gpu compute', '32 128 redfish 2 2', {
    disk: 'nvme',
    error: 'GPU 2 reports uncorrectable ECC errors; waiting for a vendor RMA.',
  }),
  row('stor-01', S.READY, 'default', 'staging', 'storage nvme', '8 32 ipmi 2 4', {
    disk: 'nvme',
    layout: 'blank',
  }),
  row('stor-02', S.FAILED_COMMISSIONING, 'default', 'staging', 'storage', '8 32 ipmi 2 3', {
    error: 'Commissioning failed, see the commissioning results for more information.',
  }),
  row('k8s-01', S.DEPLOYED, 'zone-a', 'default', 'k8s virtual', '8 32 virsh 2 1', bob),
  row('k8s-02', S.DEPLOYED, 'zone-b', 'default', 'k8s virtual', '8 32 virsh 2 1', bob),
  row('k8s-03', S.READY, 'zone-a', 'default', 'k8s virtual', '8 32 virsh 2 1', { disk: 'virtio' }),
  row('k8s-04', S.RESCUE_MODE, 'zone-b', 'default', 'k8s virtual', '8 16 virsh 2 1', {
    ...bob,
    owner: 'admin',
  }),
  row('new-01', S.NEW, 'default', 'default', '', '0 0 ipmi 2 0'),
  row('new-02', S.NEW, 'default', 'default', '', '0 0 ipmi 2 0'),
  row('edge-01', S.FAILED_TESTING, 'zone-b', 'staging', 'edge', '4 8 redfish 2 1', {
    error: "Storage test 'smartctl-validate' failed on sda, see the test results for more information.",
  }),
  row('edge-02', S.READY, 'zone-b', 'staging', 'edge', '2 4 manual 2 1', { boot: 'pxe' }),
  row('lab-01', S.COMMISSIONING, 'default', 'staging', '', '4 16 ipmi 2 1', admin),
  row('lab-02', S.DEPLOYING, 'default', 'staging', 'virtual', '4 8 virsh 2 1', {
    ...admin,
    disk: 'virtio',
    series: 'jammy',
  }),
  row('arm-01', S.READY, 'zone-a', 'staging', 'compute', '16 32 redfish 2 1', { arch: 'arm64/generic' }),
];

export const CURATED_HOSTNAMES: readonly string[] = CURATED.map((s) => s.hostname);
