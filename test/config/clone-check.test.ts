import { afterEach, describe, expect, it } from 'vitest';
import { type ClonePeer, checkClone, clonePeer } from '../../src/core/clone-check.ts';
import { GiB } from '../../src/core/sizes.ts';
import { MaasBadRequestError } from '../../src/maas/errors.ts';
import { getMachineConfig } from '../../src/maas/machine-config.ts';
import { cloneMachine } from '../../src/maas/network.ts';
import { type SimHttp, simHttp } from './fixtures.ts';

const peer = (over: Partial<ClonePeer> = {}): ClonePeer => ({
  systemId: 'src001',
  hostname: 'src',
  status: 4,
  architecture: 'amd64/generic',
  bootMethod: 'uefi',
  bootDisk: { name: 'sda', size: 500 * GiB, tags: ['ssd'] },
  otherDisks: [{ name: 'sdb', size: 1000 * GiB, tags: ['ssd'] }],
  physicalInterfaces: ['eno1', 'eno2'],
  staticAddresses: [],
  ...over,
});

describe('clone restrictions, per destination', () => {
  const both = { storage: true, network: true };

  it('accepts a destination with the same names and disks at least as large, and maps the disks', () => {
    const dest = peer({
      systemId: 'dst001',
      hostname: 'dst',
      bootDisk: { name: 'nvme0n1', size: 600 * GiB, tags: ['ssd'] },
      otherDisks: [
        { name: 'sdz', size: 2000 * GiB, tags: ['rotary'] },
        { name: 'sdy', size: 1000 * GiB, tags: ['ssd'] },
      ],
      physicalInterfaces: ['eno1', 'eno2', 'eno3'],
    });
    expect(checkClone(peer(), dest, both)).toEqual({
      problems: [],
      diskMap: [
        { source: 'sda', destination: 'nvme0n1' },
        { source: 'sdb', destination: 'sdy' },
      ],
    });
  });

  it('refuses what MAAS refuses, every reason at once', () => {
    const dest = peer({
      systemId: 'dst002',
      hostname: 'dst',
      status: 10,
      architecture: 'arm64/generic',
      bootMethod: 'pxe',
      bootDisk: { name: 'sda', size: 400 * GiB, tags: ['ssd'] },
      physicalInterfaces: ['eth0', 'eno2'],
    });
    expect(checkClone(peer(), dest, both).problems).toEqual([
      'dst is Allocated: MAAS clones only onto Ready machines — release it first (machine_release)',
      "its architecture is arm64/generic, the source's amd64/generic",
      'it boots pxe, the source uefi',
      "its boot disk sda (400 GiB) is smaller than the source's sda (500 GiB)",
      'it has no physical interface named eno1 (MAAS matches interfaces by name; it has eth0, eno2)',
    ]);
  });

  it('checks only what is cloned: disks for storage, interface names for network', () => {
    const dest = peer({ systemId: 'd3', hostname: 'd3', otherDisks: [], physicalInterfaces: [] });
    expect(checkClone(peer(), dest, { storage: false, network: true }).problems).toEqual([
      'it has no physical interface named eno1, eno2 (MAAS matches interfaces by name; it has none)',
    ]);
    expect(checkClone(peer(), dest, { storage: true, network: false }).problems).toEqual([
      'it has 1 disks, the source 2',
    ]);
    const small = peer({ systemId: 'd4', otherDisks: [{ name: 'sdb', size: 900 * GiB, tags: ['ssd'] }] });
    expect(checkClone(peer(), small, { storage: true, network: false }).problems).toEqual([
      "no disk of its own is as large as the source's sdb (1000 GiB)",
    ]);
    expect(checkClone(peer(), peer(), both).problems).toEqual([
      'src is the source; it cannot be a destination too',
    ]);
  });
});

describe('the check agrees with MAAS', () => {
  let s: SimHttp | undefined;
  afterEach(() => s?.close());

  it('on every Ready machine of a fleet: MAAS clones where the check passes and refuses where it does not', async () => {
    s = simHttp({ machines: 120 });
    const machines = (await s.http.call({
      method: 'GET',
      path: 'machines/',
      query: { status: 'ready' },
    })) as { system_id: string; hostname: string }[];
    const source = clonePeer(await getMachineConfig(s.http, s.sid('db-02')));
    let accepted = 0;
    let refused = 0;
    for (const m of machines) {
      if (m.hostname === 'db-02') continue;
      const dest = clonePeer(await getMachineConfig(s.http, m.system_id));
      const check = checkClone(source, dest, { storage: true, network: true });
      const answer = await cloneMachine(s.http, {
        source: 'db-02',
        destinations: [m.system_id],
        storage: true,
        interfaces: true,
      }).then(
        () => 'cloned',
        (e) => (e instanceof MaasBadRequestError ? 'refused' : `error ${e}`),
      );
      expect([m.hostname, answer]).toEqual([m.hostname, check.problems.length ? 'refused' : 'cloned']);
      if (answer === 'cloned') accepted++;
      else refused++;
    }
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(5);
  });
});
