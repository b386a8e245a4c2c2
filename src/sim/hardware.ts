/**
 * Plausible hardware: NICs, disks and hardware_info. Only facts a MAAS client can observe are
 * modelled; numbers are drawn from the seeded PRNG.
 */

import type { LatentHardware, SimBlockDevice, SimInterface, SimNode, SimState } from './model.ts';
import type { Rng } from './random.ts';

export type VendorProfile = 'dell' | 'supermicro' | 'hpe' | 'qemu' | 'ampere';

const PROFILES: Record<VendorProfile, { vendor: string; products: string[]; cpu: string; board: string }> = {
  dell: {
    vendor: 'Dell Inc.',
    products: ['PowerEdge R650', 'PowerEdge R750', 'PowerEdge R6525'],
    cpu: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
    board: '0Y2K8N',
  },
  supermicro: {
    vendor: 'Supermicro',
    products: ['SYS-1029P-WTR', 'SYS-2029U-TR4', 'AS-1114S-WN10RT'],
    cpu: 'Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz',
    board: 'X11DPi-N',
  },
  hpe: {
    vendor: 'HPE',
    products: ['ProLiant DL360 Gen10 Plus', 'ProLiant DL380 Gen10'],
    cpu: 'Intel(R) Xeon(R) Gold 5318Y CPU @ 2.10GHz',
    board: 'ProLiant System Board',
  },
  qemu: {
    vendor: 'QEMU',
    products: ['Standard PC (Q35 + ICH9, 2009)'],
    cpu: 'Intel Core Processor (Icelake)',
    board: 'Q35',
  },
  ampere: {
    vendor: 'GIGABYTE',
    products: ['R272-P30-00', 'R152-P31-00'],
    cpu: 'Ampere(R) Altra(R) Processor Q80-30',
    board: 'MP32-AR1-00',
  },
};

const HARDWARE_INFO_KEYS = [
  'system_vendor',
  'system_product',
  'system_family',
  'system_version',
  'system_sku',
  'system_serial',
  'cpu_model',
  'mainboard_vendor',
  'mainboard_product',
  'mainboard_serial',
  'mainboard_version',
  'mainboard_firmware_vendor',
  'mainboard_firmware_date',
  'mainboard_firmware_version',
  'chassis_vendor',
  'chassis_type',
  'chassis_serial',
  'chassis_version',
] as const;

export function unknownHardwareInfo(): Record<string, string> {
  return Object.fromEntries(HARDWARE_INFO_KEYS.map((k) => [k, 'Unknown']));
}

export function hardwareInfo(rng: Rng, profile: VendorProfile): Record<string, string> {
  const p = PROFILES[profile];
  const serial = rng.string(7, 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789');
  const virtual = profile === 'qemu';
  return {
    system_vendor: p.vendor,
    system_product: rng.pick(p.products),
    system_family: virtual ? 'Unknown' : 'Server',
    system_version: virtual ? 'pc-q35-8.2' : '1.0',
    system_sku: virtual ? 'Unknown' : `SKU=${rng.int(1000, 9999)}`,
    system_serial: virtual ? 'Unknown' : serial,
    cpu_model: p.cpu,
    mainboard_vendor: p.vendor,
    mainboard_product: p.board,
    mainboard_serial: virtual ? 'Unknown' : `.${serial}.CNFCP00${rng.int(10, 99)}.`,
    mainboard_version: virtual ? 'pc-q35-8.2' : 'A01',
    mainboard_firmware_vendor: virtual ? 'EFI Development Kit II / OVMF' : p.vendor,
    mainboard_firmware_date: `0${rng.int(1, 9)}/1${rng.int(0, 9)}/202${rng.int(2, 5)}`,
    mainboard_firmware_version: virtual ? '0.0.0' : `${rng.int(1, 2)}.${rng.int(1, 19)}.${rng.int(0, 9)}`,
    chassis_vendor: p.vendor,
    chassis_type: virtual ? 'Other' : 'Rack Mount Chassis',
    chassis_serial: virtual ? 'Unknown' : serial,
    chassis_version: virtual ? 'pc-q35-8.2' : 'Unknown',
  };
}

const NIC_MODELS = [
  {
    vendor: 'Intel Corporation',
    product: 'Ethernet Controller X710 for 10GbE SFP+',
    fw: '8.30 0x8000a49d 1.2960.0',
    speed: 10000,
  },
  { vendor: 'Mellanox Technologies', product: 'MT27800 Family [ConnectX-5]', fw: '16.35.2000', speed: 25000 },
  {
    vendor: 'Broadcom Inc. and subsidiaries',
    product: 'NetXtreme BCM5720 Gigabit Ethernet PCIe',
    fw: '1.39 NCSI 1.5.1',
    speed: 1000,
  },
];

export function makeNic(
  state: SimState,
  rng: Rng,
  name: string,
  vlanId: number | null,
  virtual: boolean,
): SimInterface {
  const model = virtual ? null : rng.pick(NIC_MODELS);
  return {
    id: state.nextId('interface'),
    name,
    type: 'physical',
    mac: virtual ? rng.mac('52:54:00') : rng.mac(rng.pick(['3c:ec:ef', 'b8:59:9f', '00:25:90', '98:03:9b'])),
    vlanId,
    parents: [],
    enabled: true,
    tags: virtual ? ['virtual'] : model && model.speed >= 10000 ? ['sriov'] : [],
    links: [],
    params: null,
    vendor: model?.vendor ?? 'Red Hat, Inc.',
    product: model?.product ?? 'Virtio network device',
    firmwareVersion: model?.fw ?? null,
    linkConnected: true,
    interfaceSpeed: model?.speed ?? 10000,
    linkSpeed: vlanId === null ? 0 : (model?.speed ?? 10000),
    numaNode: 0,
    sriovMaxVf: model && model.speed >= 10000 ? 64 : 0,
    discoveredVlanId: vlanId,
  };
}

export type DiskKind = 'ssd' | 'nvme' | 'hdd' | 'virtio';

const DISKS: Record<DiskKind, { model: string; size: number; prefix: string }[]> = {
  ssd: [
    { model: 'SAMSUNG MZ7LH960HAJR', size: 960197124096, prefix: 'S45NNE0' },
    { model: 'INTEL SSDSC2KB019T8', size: 1920383410176, prefix: 'PHYF8' },
  ],
  nvme: [
    { model: 'Micron_7450_MTFDKCC3T8TFR', size: 3840755982336, prefix: '2231' },
    { model: 'SAMSUNG MZQL21T9HCJR-00A07', size: 1920383410176, prefix: 'S64GNE0' },
  ],
  hdd: [{ model: 'ST4000NM0035-1V4107', size: 4000787030016, prefix: 'ZC1' }],
  virtio: [{ model: 'QEMU HARDDISK', size: 53687091200 + 4096 * 7, prefix: 'QM000' }],
};

export function makeDisks(state: SimState, rng: Rng, count: number, kind: DiskKind): SimBlockDevice[] {
  const out: SimBlockDevice[] = [];
  for (let i = 0; i < count; i++) {
    const k: DiskKind = kind === 'ssd' && i >= 2 ? 'hdd' : kind;
    const spec = rng.pick(DISKS[k]);
    const serial = `${spec.prefix}${rng.string(8, '0123456789ABCDEFGHJKLMNPRSTVWXYZ')}`;
    const nvme = k === 'nvme';
    out.push({
      id: state.nextId('blockdevice'),
      name: nvme ? `nvme${i}n1` : `${k === 'virtio' ? 'vd' : 'sd'}${String.fromCharCode(97 + i)}`,
      type: 'physical',
      model: spec.model,
      serial,
      idPath: nvme ? `/dev/disk/by-id/nvme-eui.${rng.hex(16)}` : `/dev/disk/by-id/wwn-0x5${rng.hex(15)}`,
      size: spec.size,
      blockSize: k === 'hdd' ? 4096 : 512,
      tags: k === 'hdd' ? ['rotary', '7200rpm'] : k === 'virtio' ? [] : nvme ? ['ssd', 'nvme'] : ['ssd'],
      uuid: null,
      firmwareVersion: nvme ? 'E2MU200' : k === 'virtio' ? '2.5+' : 'GXT5404Q',
      numaNode: 0,
      partitionTableType: null,
      partitions: [],
      filesystem: null,
    });
  }
  return out;
}

export function latentHardware(state: SimState, rng: Rng): LatentHardware {
  const cpuCount = rng.pick([4, 8, 16]);
  return {
    cpuCount,
    cpuSpeed: rng.pick([2000, 2400, 2800]),
    memory: cpuCount * rng.pick([2, 4]) * 1024,
    disks: makeDisks(state, rng, rng.int(1, 2), 'ssd'),
    hardwareInfo: hardwareInfo(rng, rng.pick(['dell', 'supermicro', 'hpe'] as const)),
  };
}

/** Commissioning discovers the hardware a freshly enlisted machine has. */
export function revealHardware(state: SimState, node: SimNode): void {
  const latent = node.latent;
  if (!latent) return;
  node.cpuCount = latent.cpuCount;
  node.cpuSpeed = latent.cpuSpeed;
  node.memory = latent.memory;
  node.hardwareInfo = latent.hardwareInfo;
  node.blockDevices = latent.disks;
  node.bootDiskId = latent.disks[0]?.id ?? null;
  node.latent = null;
  if (!node.hardwareUuid) node.hardwareUuid = state.rng.uuid();
}
