import { describe, expect, it } from 'vitest';
import { SimStatus as S } from '../../src/sim/index.ts';
import { createSimulator } from '../../src/sim/simulator.ts';
import { call, force, json, sid } from './helpers.ts';

interface Iface {
  id: number;
  name: string;
  type: string;
  mac_address: string;
  parents: string[];
  children: string[];
  params: Record<string, unknown> | '';
  links: { id: number; mode: string; ip_address?: string; subnet?: { cidr: string } }[];
  vlan: { id: number; vid: number } | null;
}

function ifaces(sim: ReturnType<typeof createSimulator>, hostname: string) {
  return call(sim, sim.users.admin, 'GET', `nodes/${sid(sim, hostname)}/interfaces/`).then((r) =>
    json<Iface[]>(r),
  );
}

describe('interfaces', () => {
  it("lists a machine's interfaces with nested VLANs and links", async () => {
    const sim = createSimulator();
    const list = await ifaces(sim, 'db-01');
    expect(list).toHaveLength(4);
    expect(list[0]).toMatchObject({ type: 'physical', vlan: { vid: 0 }, params: '' });
    expect(list[0]?.links[0]).toMatchObject({
      mode: 'auto',
      subnet: { cidr: '10.10.0.0/24' },
      ip_address: expect.stringMatching(/^10\.10\.0\./),
    });
    expect(list[1]?.links[0]).toMatchObject({ mode: 'static', ip_address: '10.20.0.106' });
  });

  it("creates a bond with MAAS's real defaults (balance-rr, fast, layer2, 100/0/0, 1)", async () => {
    const sim = createSimulator();
    const [, , eth2, eth3] = await ifaces(sim, 'web-06');
    const res = await call(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${sid(sim, 'web-06')}/interfaces/?op=create_bond`,
      {
        form: [
          ['name', 'bond0'],
          ['parents', String(eth2?.id)],
          ['parents', String(eth3?.id)],
        ],
      },
    );
    expect(res.status).toBe(200);
    const bond = await json<Iface>(res);
    expect(bond).toMatchObject({
      name: 'bond0',
      type: 'bond',
      mac_address: eth2?.mac_address,
      parents: [eth2?.name, eth3?.name],
    });
    expect(bond.params).toEqual({
      bond_mode: 'balance-rr',
      bond_miimon: 100,
      bond_downdelay: 0,
      bond_updelay: 0,
      bond_lacp_rate: 'fast',
      bond_xmit_hash_policy: 'layer2',
      bond_num_grat_arp: 1,
    });
    const after = await ifaces(sim, 'web-06');
    expect(after.find((i) => i.id === eth2?.id)?.children).toEqual(['bond0']);
    const custom = await call(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${sid(sim, 'web-02')}/interfaces/?op=create_bond`,
      {
        form: {
          name: 'bond1',
          parents: String((await ifaces(sim, 'web-02'))[0]?.id),
          bond_mode: '802.3ad',
          bond_lacp_rate: 'slow',
        },
      },
    );
    expect((await json<Iface>(custom)).params).toMatchObject({
      bond_mode: '802.3ad',
      bond_lacp_rate: 'slow',
    });
  });

  it("rejects bad bonds with MAAS's errors and refuses non-admins and busy machines", async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-06');
    const list = await ifaces(sim, 'web-06');
    const url = `nodes/${id}/interfaces/?op=create_bond`;
    const none = await call(sim, sim.users.admin, 'POST', url, { form: { name: 'bond0' } });
    expect([none.status, await none.text()]).toEqual([
      400,
      'A bond interface must have one or more parents.',
    ]);
    const mixed = await call(sim, sim.users.admin, 'POST', url, {
      form: [
        ['name', 'bond0'],
        ['parents', String(list[0]?.id)],
        ['parents', String(list[2]?.id)],
      ],
    });
    expect([mixed.status, await mixed.text()]).toEqual([
      400,
      '{"parents": ["All parents must belong to the same VLAN."]}',
    ]);
    const badMode = await call(sim, sim.users.admin, 'POST', url, {
      form: { name: 'b', parents: String(list[2]?.id), bond_mode: 'fastest' },
    });
    expect(await badMode.text()).toBe(
      '{"bond_mode": ["Select a valid choice. fastest is not one of the available choices."]}',
    );
    expect(
      (
        await call(sim, sim.users.operator, 'POST', url, {
          form: { name: 'b', parents: String(list[2]?.id) },
        })
      ).status,
    ).toBe(403);
    const deployed = await call(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${sid(sim, 'db-01')}/interfaces/?op=create_bond`,
      { form: { name: 'b', parents: '1' } },
    );
    expect([deployed.status, await deployed.text()]).toEqual([
      409,
      'Cannot create bond interface because the machine is not New, Ready, Allocated, or Broken.',
    ]);
  });

  it('links a subnet in any letter case, auto-picking a static address, and unlinks it', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-06');
    const eth2 = (await ifaces(sim, 'web-06'))[2];
    const url = `nodes/${id}/interfaces/${eth2?.id}/`;
    const linked = await json<Iface>(
      await call(sim, sim.users.admin, 'POST', `${url}?op=link_subnet`, {
        form: { mode: 'Static', subnet: '6' },
      }),
    );
    const link = linked.links.find((l) => l.mode === 'static');
    expect(link).toMatchObject({ subnet: { cidr: '10.40.0.0/22' }, ip_address: '10.40.0.10' });
    const explicit = await json<Iface>(
      await call(sim, sim.users.admin, 'POST', `${url}?op=link_subnet`, {
        form: { mode: 'STATIC', subnet: 'cidr:10.40.0.0/22', ip_address: '10.40.0.77' },
      }),
    );
    expect(explicit.links.map((l) => l.ip_address)).toContain('10.40.0.77');
    const taken = await call(sim, sim.users.admin, 'POST', `${url}?op=link_subnet`, {
      form: { mode: 'static', subnet: '6', ip_address: '10.40.0.77' },
    });
    // `StaticIPAddressUnavailable` is an API error with status 404 (MAAS `maasserver/models/interface.py`).
    expect([taken.status, await taken.text()]).toEqual([404, 'IP address is already in use.']);
    const dhcp = await json<Iface>(
      await call(sim, sim.users.admin, 'POST', `${url}?op=link_subnet`, { form: { mode: 'dhcp' } }),
    );
    expect(dhcp.links.map((l) => l.mode)).toEqual(['static', 'static', 'dhcp']);
    const badMode = await call(sim, sim.users.admin, 'POST', `${url}?op=link_subnet`, {
      form: { mode: 'magic' },
    });
    expect(await badMode.text()).toBe(
      `{"mode": ["'magic' is not a valid mode.  It should be one of: 'auto', 'dhcp', 'static', 'link_up'."]}`,
    );
    const noSubnet = await call(sim, sim.users.admin, 'POST', `${url}?op=link_subnet`, {
      form: { mode: 'AUTO' },
    });
    expect(await noSubnet.text()).toBe('{"subnet": ["This field is required."]}');
    const unlinked = await json<Iface>(
      await call(sim, sim.users.admin, 'POST', `${url}?op=unlink_subnet`, { form: { id: String(link?.id) } }),
    );
    expect(unlinked.links.map((l) => l.mode)).toEqual(['static', 'dhcp']);
  });

  it('refuses to link a bond member', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-06');
    const eth2 = (await ifaces(sim, 'web-06'))[2];
    await call(sim, sim.users.admin, 'POST', `nodes/${id}/interfaces/?op=create_bond`, {
      form: { name: 'bond0', parents: String(eth2?.id) },
    });
    const res = await call(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${id}/interfaces/${eth2?.id}/?op=link_subnet`,
      { form: { mode: 'dhcp' } },
    );
    expect([res.status, await res.text()]).toEqual([
      400,
      `{"bond": ["Cannot link interface(${eth2?.name}) when interface is in a bond(bond0)."]}`,
    ]);
  });

  it('refuses interface writes to everyone but admins, even the owner of an Allocated machine (MAAS `maasserver/auth/local.py`)', async () => {
    const sim = createSimulator();
    force(sim, 'web-02', S.ALLOCATED, 'alice');
    const eth0 = (await ifaces(sim, 'web-02'))[0];
    const url = `nodes/${sid(sim, 'web-02')}/interfaces/${eth0?.id}/?op=link_subnet`;
    const owner = await call(sim, sim.users.operator, 'POST', url, { form: { mode: 'dhcp' } });
    expect([owner.status, await owner.text()]).toEqual([403, '']);
    const admin = await call(sim, sim.users.admin, 'POST', url, { form: { mode: 'dhcp' } });
    expect(admin.status).toBe(200);
  });
});

describe('block devices', () => {
  interface Dev {
    id: number;
    name: string;
    filesystem: { fstype: string; mount_point: string | null } | null;
    partitions: unknown[];
    used_for: string;
    resource_uri: string;
  }

  it('lists disks with partitions and serves one by id', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'db-02');
    const devs = await json<Dev[]>(await call(sim, sim.users.admin, 'GET', `nodes/${id}/blockdevices/`));
    // db-02's boot disk holds the LVM layout's EFI and PV partitions, then its logical volume; the others are spare.
    expect(devs).toHaveLength(4);
    expect(devs[0]).toMatchObject({
      used_for: 'GPT partitioned with 2 partitions',
      resource_uri: `/MAAS/api/2.0/nodes/${id}/blockdevices/${devs[0]?.id}/`,
    });
    expect(devs[1]?.used_for).toBe('Unused');
    expect(
      await json(await call(sim, sim.users.admin, 'GET', `nodes/${id}/blockdevices/${devs[1]?.id}/`)),
    ).toMatchObject({ name: devs[1]?.name });
    const missing = await call(sim, sim.users.admin, 'GET', `nodes/${id}/blockdevices/999999/`);
    expect([missing.status, await missing.text()]).toEqual([404, 'No BlockDevice matches the given query.']);
  });

  it('formats, mounts, unmounts and unformats a spare disk on a Ready machine', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'stor-01');
    const dev = (await json<Dev[]>(await call(sim, sim.users.admin, 'GET', `nodes/${id}/blockdevices/`)))[1];
    const url = `nodes/${id}/blockdevices/${dev?.id}/`;
    const formatted = await json<Dev>(
      await call(sim, sim.users.admin, 'POST', `${url}?op=format`, { form: { fstype: 'xfs' } }),
    );
    expect(formatted.filesystem).toMatchObject({ fstype: 'xfs', mount_point: null });
    const mounted = await json<Dev>(
      await call(sim, sim.users.admin, 'POST', `${url}?op=mount`, { form: { mount_point: '/srv/data' } }),
    );
    expect(mounted.used_for).toBe('xfs formatted filesystem mounted at /srv/data');
    const busy = await call(sim, sim.users.admin, 'POST', `${url}?op=unformat`);
    expect(busy.status).toBe(400);
    await call(sim, sim.users.admin, 'POST', `${url}?op=unmount`);
    const clean = await json<Dev>(await call(sim, sim.users.admin, 'POST', `${url}?op=unformat`));
    expect(clean.filesystem).toBeNull();
    const nonAdmin = await call(sim, sim.users.operator, 'POST', `${url}?op=format`, {
      form: { fstype: 'ext4' },
    });
    expect([nonAdmin.status, await nonAdmin.text()]).toEqual([
      403,
      "Cannot format block device because you don't have the permissions on a Ready machine.",
    ]);
  });

  it('gates block-device edits with the state check of each op (MAAS `maasserver/api/blockdevices.py`)', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'db-01');
    const dev = sim.state.machine(id)?.blockDevices[1];
    const allocatedOps = (op: string) =>
      `Cannot ${op} block device because the machine is not Ready or Allocated.`;
    for (const [opName, form, text] of [
      ['format', { fstype: 'ext4' }, allocatedOps('format')],
      ['unformat', {}, allocatedOps('unformat')],
      ['mount', { mount_point: '/x' }, allocatedOps('mount')],
      ['unmount', {}, allocatedOps('unmount')],
      ['set_boot_disk', {}, 'Cannot set as boot disk because the machine is not Ready.'],
      ['add_tag', { tag: 'x' }, 'Cannot update block device because the machine is not Ready.'],
      ['remove_tag', { tag: 'x' }, 'Cannot update block device because the machine is not Ready.'],
    ] as const) {
      const res = await call(
        sim,
        sim.users.admin,
        'POST',
        `nodes/${id}/blockdevices/${dev?.id}/?op=${opName}`,
        { form },
      );
      expect([res.status, await res.text()], opName).toEqual([409, text]);
    }
  });
});
