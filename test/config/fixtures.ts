/** A simulator and the MAAS transport over it, and hand-built machines, for the configuration planners' tests. */
import { ManualClock } from '../../src/base/clock.ts';
import type { NetworkHost, NetworkWorld } from '../../src/core/network-model.ts';
import { GiB } from '../../src/core/sizes.ts';
import { type HostDisk, type StorageHost, storageHost } from '../../src/core/storage-plan.ts';
import { type StorageTree, storageTreeFromMaas } from '../../src/core/storage-tree.ts';
import { MaasHttp } from '../../src/maas/http.ts';
import { getMachineConfig } from '../../src/maas/machine-config.ts';
import { fabrics, subnetAddresses } from '../../src/maas/network.ts';
import type { Subnet } from '../../src/maas/schemas.ts';
import { storageGroups } from '../../src/maas/storage.ts';
import { createSimulator, type Simulator } from '../../src/sim/index.ts';

export interface SimHttp {
  sim: Simulator;
  http: MaasHttp;
  sid(hostname: string): string;
  storageHost(hostname: string): Promise<StorageHost>;
  storageTree(hostname: string): Promise<StorageTree>;
  networkHost(hostname: string): Promise<NetworkHost>;
  world(): Promise<NetworkWorld>;
  close(): void;
}

/** A simulator (its admin's key, no retries) on a manual clock. */
export function simHttp(opts: { machines?: number; user?: 'admin' | 'operator' } = {}): SimHttp {
  const clock = new ManualClock(Date.now());
  const sim = createSimulator({
    clock,
    timeScale: 1000,
    ...(opts.machines ? { machines: opts.machines } : {}),
  });
  const http = new MaasHttp({
    url: sim.baseUrl,
    apiKey: sim.users[opts.user ?? 'admin'].apiKey,
    fetch: sim.fetch,
    clock,
    retries: 0,
  });
  const sid = (h: string) => sim.control.systemId(h);
  return {
    sim,
    http,
    sid,
    storageHost: async (h) => storageHost(await getMachineConfig(http, sid(h))),
    storageTree: async (h) =>
      storageTreeFromMaas(await getMachineConfig(http, sid(h)), await storageGroups(http, sid(h))),
    async networkHost(h) {
      const m = await getMachineConfig(http, sid(h));
      return {
        hostname: m.hostname,
        systemId: m.system_id,
        interfaces: m.interface_set,
        gateways: m.default_gateways,
      };
    },
    async world() {
      const subnets = (await http.call({ method: 'GET', path: 'subnets/' })) as Subnet[];
      const addresses = new Map();
      for (const s of subnets) addresses.set(s.id, await subnetAddresses(http, s.id));
      return { subnets, fabrics: await fabrics(http), addresses };
    },
    close: () => sim.close(),
  };
}

let nextId = 1;

export function disk(name: string, sizeGiB: number, tags: string[] = ['ssd']): HostDisk {
  return { id: nextId++, name, size: sizeGiB * GiB, blockSize: 512, tags, model: null };
}

/** A hand-built machine: amd64 UEFI unless told, the first disk its boot disk. */
export function host(
  disks: HostDisk[],
  opts: { arch?: string; boot?: string; hostname?: string } = {},
): StorageHost {
  return {
    hostname: opts.hostname ?? 'node-1',
    architecture: opts.arch ?? 'amd64/generic',
    bootMethod: opts.boot ?? 'uefi',
    disks,
    bootDiskId: disks[0]?.id ?? null,
  };
}

/** A tree with its group member lists in name order (MAAS lists them in its own order). */
export function sorted(tree: StorageTree): StorageTree {
  return {
    ...tree,
    volume_groups: tree.volume_groups.map((v) => ({ ...v, devices: [...v.devices].sort() })),
    raids: tree.raids.map((r) => ({ ...r, devices: [...r.devices].sort(), spares: [...r.spares].sort() })),
  };
}
