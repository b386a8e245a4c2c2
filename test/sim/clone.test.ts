/**
 * `POST /machines/?op=clone` (MAAS `maasserver/forms/clone.py` `CloneForm`, `maasserver/api/machines.py`
 * `MachinesHandler.clone`, `maasserver/models/node.py` `_get_storage_mapping_between_nodes`,
 * `_get_interface_mapping_between_nodes`, `set_storage_configuration_from_node`,
 * `set_networking_configuration_from_node`; `src/maasserver/forms/tests/test_clone.py`).
 */
import { describe, expect, it } from 'vitest';
import { createSimulator, SimStatus as S, type Simulator } from '../../src/sim/index.ts';
import { answer, req, sid } from './helpers.ts';

interface Dev {
  id: number;
  name: string;
  size: number;
  type: string;
  partitions: {
    size: number;
    path: string;
    uuid: string;
    filesystem: { fstype: string; mount_point: string | null; uuid: string | null } | null;
  }[];
  filesystem: { fstype: string; mount_point: string | null } | null;
}
interface Iface {
  id: number;
  name: string;
  type: string;
  parents: string[];
  mac_address: string;
  params: Record<string, unknown> | '';
  vlan: { id: number } | null;
  links: { mode: string; ip_address?: string; subnet?: { id: number } }[];
}

/** Replaces a Ready machine's disks with new ones of these sizes (sda, sdb, …), through the API. */
async function setDisks(sim: Simulator, host: string, sizes: number[]): Promise<void> {
  const id = sid(sim, host);
  const old = (await req(sim, sim.users.admin, 'GET', `nodes/${id}/blockdevices/`)).json<Dev[]>();
  for (const d of old.filter((x) => x.type === 'virtual'))
    await req(sim, sim.users.admin, 'DELETE', `nodes/${id}/blockdevices/${d.id}/`);
  await req(sim, sim.users.admin, 'POST', `machines/${id}/?op=set_storage_layout`, {
    storage_layout: 'blank',
  });
  for (const d of old.filter((x) => x.type === 'physical'))
    await req(sim, sim.users.admin, 'DELETE', `nodes/${id}/blockdevices/${d.id}/`);
  for (const [i, size] of sizes.entries()) {
    const name = `sd${String.fromCharCode(97 + i)}`;
    const a = await req(sim, sim.users.admin, 'POST', `nodes/${id}/blockdevices/`, {
      name,
      size: String(size),
      block_size: '512',
      model: 'SIM DISK',
      serial: `${host}-${name}`,
    });
    expect(a.status, a.text).toBe(200);
  }
}

const clone = (sim: Simulator, form: Record<string, string | string[]>, who = sim.users.admin) =>
  req(sim, who, 'POST', 'machines/?op=clone', form);

const G = 1_000_000_000;

describe('op=clone', () => {
  it('copies an LVM layout with a data disk and an 802.3ad bond with a VLAN on top, giving every address anew', async () => {
    const sim = createSimulator();
    const src = sid(sim, 'web-06');
    const dst = sid(sim, 'db-02');
    await setDisks(sim, 'web-06', [100 * G, 200 * G]);
    await setDisks(sim, 'db-02', [100 * G, 250 * G]);
    await req(sim, sim.users.admin, 'POST', `machines/${src}/?op=set_storage_layout`, {
      storage_layout: 'lvm',
      lv_size: '50G',
    });
    const srcDisks = (await req(sim, sim.users.admin, 'GET', `nodes/${src}/blockdevices/`)).json<Dev[]>();
    const sdb = srcDisks.find((d) => d.name === 'sdb') as Dev;
    await req(sim, sim.users.admin, 'POST', `nodes/${src}/blockdevices/${sdb.id}/?op=format`, {
      fstype: 'xfs',
    });
    await req(sim, sim.users.admin, 'POST', `nodes/${src}/blockdevices/${sdb.id}/?op=mount`, {
      mount_point: '/srv',
    });
    const srcIfaces = (await req(sim, sim.users.admin, 'GET', `nodes/${src}/interfaces/`)).json<Iface[]>();
    const member = (n: string) => String(srcIfaces.find((i) => i.name === n)?.id);
    const bond = (
      await req(sim, sim.users.admin, 'POST', `nodes/${src}/interfaces/?op=create_bond`, {
        name: 'bond0',
        parents: [member('eno3'), member('eno4')],
        bond_mode: '802.3ad',
        mtu: '9000',
      })
    ).json<Iface>();
    await req(sim, sim.users.admin, 'POST', `nodes/${src}/interfaces/${bond.id}/?op=link_subnet`, {
      mode: 'static',
      subnet: '6',
    });
    await req(sim, sim.users.admin, 'POST', `nodes/${src}/interfaces/?op=create_vlan`, {
      vlan: '5005',
      parent: String(bond.id),
    });

    const res = await clone(sim, {
      source: 'web-06',
      destinations: dst,
      storage: 'true',
      interfaces: 'true',
    });
    expect([res.status, res.text]).toEqual([204, '']);

    const dstDisks = (await req(sim, sim.users.admin, 'GET', `nodes/${dst}/blockdevices/`)).json<Dev[]>();
    const srcAfter = (await req(sim, sim.users.admin, 'GET', `nodes/${src}/blockdevices/`)).json<Dev[]>();
    const shape = (ds: Dev[]) =>
      ds.map((d) => [
        d.name,
        d.type,
        d.filesystem?.fstype,
        d.filesystem?.mount_point,
        d.partitions.map((p) => [p.size, p.filesystem?.fstype, p.filesystem?.mount_point]),
      ]);
    expect(shape(dstDisks)).toEqual(shape(srcAfter));
    expect(dstDisks[0]?.partitions[0]?.uuid).not.toBe(srcAfter[0]?.partitions[0]?.uuid);
    const vgs = (await req(sim, sim.users.admin, 'GET', `nodes/${dst}/volume-groups/`)).json<
      { name: string; logical_volumes: Dev[] }[]
    >();
    expect(vgs.map((g) => [g.name, g.logical_volumes.map((l) => [l.name, l.size])])).toEqual([
      ['vgroot', [['vgroot-lvroot', Math.floor((50 * G) / (4 * 1024 * 1024)) * 4 * 1024 * 1024]]],
    ]);

    const dstIfaces = (await req(sim, sim.users.admin, 'GET', `nodes/${dst}/interfaces/`)).json<Iface[]>();
    const dstBond = dstIfaces.find((i) => i.name === 'bond0') as Iface;
    const srcBond = (await req(sim, sim.users.admin, 'GET', `nodes/${src}/interfaces/bond0/`)).json<Iface>();
    expect([dstBond.parents, dstBond.params, dstBond.mac_address]).toEqual([
      ['eno3', 'eno4'],
      srcBond.params,
      dstIfaces.find((i) => i.name === 'eno3')?.mac_address,
    ]);
    expect(dstBond.links[0]?.mode).toBe('static');
    expect(dstBond.links[0]?.subnet?.id).toBe(6);
    expect(dstBond.links[0]?.ip_address).toMatch(/^10\.40\.0\./);
    expect(dstBond.links[0]?.ip_address).not.toBe(srcBond.links[0]?.ip_address);
    expect(dstIfaces.map((i) => i.name)).toContain('bond0.100');
  });

  it("answers an empty request with MAAS's three errors (`test_empty_errors`)", async () => {
    const sim = createSimulator();
    expect(answer(await clone(sim, {}))).toEqual([
      400,
      '{"source": ["This field is required."], "destinations": ["This field is required."], "__all__": ["Either storage or interfaces must be true."]}',
    ]);
  });

  it('checks every destination first and reports each problem in one list', async () => {
    const sim = createSimulator();
    await setDisks(sim, 'web-06', [100 * G, 200 * G]);
    await setDisks(sim, 'web-02', [50 * G, 200 * G]);
    await setDisks(sim, 'web-01', [100 * G]);
    const id = (h: string) => sid(sim, h);
    const res = await clone(sim, {
      source: id('web-06'),
      destinations: [id('web-02'), id('web-01'), id('k8s-03')].join(','),
      storage: 'true',
      interfaces: 'true',
    });
    expect(res.status).toBe(400);
    expect(res.json<{ destinations: string[] }>().destinations).toEqual([
      `${id('web-02')} (web-02) is invalid: destination boot disk(sda) is smaller than source boot disk(sda)`,
      `${id('web-02')} (web-02) is invalid: destination node physical interfaces do not match the source nodes physical interfaces: eno3, eno4`,
      `${id('web-01')} (web-01) is invalid: source node does not have enough physical block devices (1 < 2)`,
      `${id('web-01')} (web-01) is invalid: destination node physical interfaces do not match the source nodes physical interfaces: eno3, eno4`,
      expect.stringMatching(new RegExp(`^${id('k8s-03')} \\(k8s-03\\) is invalid: `)),
      `${id('k8s-03')} (k8s-03) is invalid: destination node physical interfaces do not match the source nodes physical interfaces: eno1, eno2, eno3, eno4`,
    ]);
  });

  it('refuses destinations that are not Ready or Failed testing, the source itself, and other architectures or boot methods', async () => {
    const sim = createSimulator();
    const id = (h: string) => sid(sim, h);
    const notReady = await clone(sim, {
      source: 'web-01',
      destinations: `${id('web-02')},${id('web-05')}`,
      storage: 'true',
    });
    expect(notReady.json()).toEqual({
      destinations: [
        `Machine 2 is invalid: Select a valid choice. ${id('web-05')} is not one of the available choices.`,
      ],
    });
    const self = await clone(sim, { source: 'web-01', destinations: id('web-01'), interfaces: 'true' });
    expect(self.json()).toEqual({
      destinations: [`Source machine ${id('web-01')} (web-01) cannot be a destination machine.`],
    });
    const arch = await clone(sim, { source: 'web-01', destinations: id('arm-01'), storage: 'true' });
    expect(arch.json()).toEqual({
      destinations: [
        `${id('arm-01')} (arm-01) is invalid: node architectures do not match (arm64/generic != amd64/generic)`,
      ],
    });
    const boot = await clone(sim, { source: 'web-01', destinations: id('edge-02'), storage: 'true' });
    expect(boot.json()).toEqual({
      destinations: [`${id('edge-02')} (edge-02) is invalid: node boot methods do not match (pxe != uefi)`],
    });
    sim.control.setMachine('web-02', { status: S.FAILED_TESTING });
    const failedTesting = await clone(sim, {
      source: 'web-06',
      destinations: id('web-02'),
      interfaces: 'true',
    });
    expect(failedTesting.status).toBe(400);
    expect(failedTesting.json<{ destinations: string[] }>().destinations[0]).toContain(
      'physical interfaces do not match',
    );
  });

  it('offers non-admins no destination, and keeps only the last of a repeated destinations key', async () => {
    const sim = createSimulator();
    const id = (h: string) => sid(sim, h);
    const alice = await clone(
      sim,
      { source: 'web-01', destinations: id('web-02'), interfaces: 'true' },
      sim.users.operator,
    );
    expect(alice.json()).toEqual({
      destinations: [
        `Machine 1 is invalid: Select a valid choice. ${id('web-02')} is not one of the available choices.`,
      ],
    });
    const repeated = await clone(sim, {
      source: 'web-01',
      destinations: [id('web-05'), id('web-02')],
      interfaces: 'true',
    });
    expect(repeated.status).toBe(204);
  });

  it('copies interfaces only when asked, leaving the destination storage as it was', async () => {
    const sim = createSimulator();
    const before = (await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, 'web-02')}/blockdevices/`)).json<
      Dev[]
    >();
    const eno2 = (
      await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, 'web-01')}/interfaces/eno2/`)
    ).json<Iface>();
    await req(sim, sim.users.admin, 'PUT', `nodes/${sid(sim, 'web-01')}/interfaces/${eno2.id}/`, {
      mtu: '9000',
    });
    expect(
      (await clone(sim, { source: 'web-01', destinations: sid(sim, 'web-02'), interfaces: 'true' })).status,
    ).toBe(204);
    const after = (await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, 'web-02')}/blockdevices/`)).json<
      Dev[]
    >();
    expect(after).toEqual(before);
    const copied = (
      await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, 'web-02')}/interfaces/eno2/`)
    ).json<Iface>();
    expect(copied.params).toEqual({ mtu: 9000 });
  });
});
