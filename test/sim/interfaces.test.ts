/**
 * Interfaces against MAAS 3.7.3 (MAAS `maasserver/api/interfaces.py`, `maasserver/forms/interface.py`,
 * `maasserver/forms/interface_link.py`, `maasserver/models/interface.py`, `maasserver/models/signals/interfaces.py`,
 * `maasserver/auth/local.py`): physical, bond, VLAN and bridge interfaces, links, the default gateway, PUT and
 * DELETE for machines and devices, MTU propagation, restore, and every refusal's text.
 */
import { describe, expect, it } from 'vitest';
import { SimStatus as S } from '../../src/sim/index.ts';
import { createSimulator, type SimulatorInternals } from '../../src/sim/simulator.ts';
import { answer, req, sid } from './helpers.ts';

interface Link {
  id: number;
  mode: string;
  subnet?: { id: number; cidr: string };
  ip_address?: string;
}
interface Iface {
  id: number;
  name: string;
  type: string;
  mac_address: string;
  vlan: { id: number; vid: number; fabric: string } | null;
  parents: string[];
  children: string[];
  links: Link[];
  params: Record<string, unknown> | '';
  effective_mtu: number;
  enabled: boolean;
  tags: string[];
}

async function ifaces(sim: SimulatorInternals, host: string, who = sim.users.admin): Promise<Iface[]> {
  return (await req(sim, who, 'GET', `nodes/${sid(sim, host)}/interfaces/`)).json<Iface[]>();
}

const byName = (list: Iface[], name: string) => list.find((i) => i.name === name) as Iface;
const nodeUrl = (sim: SimulatorInternals, host: string) => `nodes/${sid(sim, host)}/interfaces/`;

function deviceId(sim: SimulatorInternals, hostname: string): string {
  for (const n of sim.state.nodes.values()) if (n.hostname === hostname) return n.systemId;
  throw new Error(`no node ${hostname}`);
}

describe('create_physical', () => {
  it('adds a NIC to a machine (admin) with the next ethN name and a LINK_UP link on its VLAN', async () => {
    const sim = createSimulator();
    const res = await req(sim, sim.users.admin, 'POST', `${nodeUrl(sim, 'web-06')}?op=create_physical`, {
      mac_address: '52:54:00:aa:bb:01',
      vlan: '5004',
      tags: 'fast, sriov',
    });
    expect(res.status).toBe(200);
    expect(res.json<Iface>()).toMatchObject({
      name: 'eth0',
      type: 'physical',
      mac_address: '52:54:00:aa:bb:01',
      vlan: { id: 5004 },
      tags: ['fast', 'sriov'],
      links: [{ mode: 'link_up' }],
    });
  });

  it("refuses what PhysicalInterfaceForm refuses, with MAAS's texts", async () => {
    const sim = createSimulator();
    const url = `${nodeUrl(sim, 'web-06')}?op=create_physical`;
    const taken = byName(await ifaces(sim, 'web-02'), 'eno1').mac_address;
    const cases: [Record<string, string>, string][] = [
      [{}, '{"mac_address": ["This field is required."]}'],
      [{ mac_address: 'zz' }, `{"mac_address": ["'zz' is not a valid MAC address."]}`],
      [
        { mac_address: taken },
        `{"mac_address": ["This MAC address is already in use by eno1 (physical) on web-02."]}`,
      ],
      [
        { mac_address: '52:54:00:aa:bb:02', name: 'eno1' },
        `{"name": ["Node ${sid(sim, 'web-06')} (web-06) already has an interface named 'eno1'."]}`,
      ],
      [
        { mac_address: '52:54:00:aa:bb:02', name: 'a-very-long-interface-name' },
        '{"name": ["Enter a valid value."]}',
      ],
      [
        { mac_address: '52:54:00:aa:bb:02', vlan: '42' },
        '{"vlan": ["Select a valid choice. That choice is not one of the available choices."]}',
      ],
      [
        { mac_address: '52:54:00:aa:bb:02', mtu: '100' },
        '{"mtu": ["Ensure this value is greater than or equal to 552."]}',
      ],
    ];
    for (const [form, text] of cases) {
      expect(answer(await req(sim, sim.users.admin, 'POST', url, form)), JSON.stringify(form)).toEqual([
        400,
        text,
      ]);
    }
  });

  it('lets a device owner add NICs to the device, but only admins add them to machines, and nobody to controllers', async () => {
    const sim = createSimulator();
    const kvm = deviceId(sim, 'kvm-console-01');
    const alice = sim.users.operator;
    const ok = await req(sim, alice, 'POST', `nodes/${kvm}/interfaces/?op=create_physical`, {
      mac_address: '52:54:00:aa:bb:03',
    });
    expect(ok.status).toBe(200);
    const numa = await req(sim, alice, 'POST', `nodes/${kvm}/interfaces/?op=create_physical`, {
      mac_address: '52:54:00:aa:bb:04',
      numa_node: '0',
    });
    expect(answer(numa)).toEqual([
      400,
      '{"numa_node": ["Only interfaces for machines are linked to a NUMA node"]}',
    ]);
    const machine = await req(sim, alice, 'POST', `${nodeUrl(sim, 'web-06')}?op=create_physical`, {
      mac_address: '52:54:00:aa:bb:05',
    });
    expect(answer(machine)).toEqual([403, '']);
    const rack = deviceId(sim, 'maas-ctrl');
    const ctrl = await req(sim, sim.users.admin, 'POST', `nodes/${rack}/interfaces/?op=create_physical`, {
      mac_address: '52:54:00:aa:bb:06',
    });
    expect(answer(ctrl)).toEqual([403, 'Cannot create interface on a controller.']);
  });
});

describe('create_bond', () => {
  it('bonds two NICs of one VLAN: the bond takes the VLAN and a LINK_UP link, the members lose every link', async () => {
    const sim = createSimulator();
    const list = await ifaces(sim, 'web-06');
    const [eno3, eno4] = [byName(list, 'eno3'), byName(list, 'eno4')];
    const res = await req(sim, sim.users.admin, 'POST', `${nodeUrl(sim, 'web-06')}?op=create_bond`, {
      name: 'bond0',
      parents: [String(eno3.id), String(eno4.id)],
      bond_mode: '802.3ad',
      bond_lacp_rate: 'fast',
      bond_xmit_hash_policy: 'layer3+4',
      mtu: '9000',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json<Iface>()).toMatchObject({
      name: 'bond0',
      type: 'bond',
      mac_address: eno3.mac_address,
      vlan: { id: 5004 },
      parents: ['eno3', 'eno4'],
      links: [{ mode: 'link_up' }],
      effective_mtu: 9000,
      params: {
        bond_mode: '802.3ad',
        bond_miimon: 100,
        bond_downdelay: 0,
        bond_updelay: 0,
        bond_lacp_rate: 'fast',
        bond_xmit_hash_policy: 'layer3+4',
        bond_num_grat_arp: 1,
        mtu: 9000,
      },
    });
    const after = await ifaces(sim, 'web-06');
    for (const name of ['eno3', 'eno4']) {
      expect([
        byName(after, name).links,
        byName(after, name).children,
        byName(after, name).effective_mtu,
      ]).toEqual([[], ['bond0'], 9000]);
      expect(byName(after, name).params).toEqual({ mtu: 9000 });
    }
  });

  it('refuses a bond of non-physical or busy parents, a missing name and out-of-range parameters', async () => {
    const sim = createSimulator();
    const list = await ifaces(sim, 'web-06');
    const [eno3, eno4] = [byName(list, 'eno3'), byName(list, 'eno4')];
    const url = `${nodeUrl(sim, 'web-06')}?op=create_bond`;
    await req(sim, sim.users.admin, 'POST', url, {
      name: 'bond0',
      parents: [String(eno3.id), String(eno4.id)],
    });
    const bond = byName(await ifaces(sim, 'web-06'), 'bond0');
    const cases: [Record<string, string | string[]>, string][] = [
      [
        { name: 'bond1', parents: String(bond.id) },
        '{"parents": ["Only physical interfaces can be bonded."]}',
      ],
      [{ name: 'bond1', parents: String(eno3.id) }, '{"parents": ["Interfaces already in-use: eno3."]}'],
      [{ parents: String(eno3.id) }, '{"name": ["This field is required."]}'],
      [
        { name: 'bond1', parents: 'eno3' },
        '{"parents": ["Select a valid choice. eno3 is not one of the available choices."]}',
      ],
      [
        { name: 'bond1', parents: String(eno3.id), bond_num_grat_arp: '256' },
        '{"bond_num_grat_arp": ["Ensure this value is less than or equal to 255."]}',
      ],
    ];
    for (const [form, text] of cases) {
      expect(answer(await req(sim, sim.users.admin, 'POST', url, form)), JSON.stringify(form)).toEqual([
        400,
        text,
      ]);
    }
    const device = await req(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${deviceId(sim, 'pdu-a1')}/interfaces/?op=create_bond`,
      {
        name: 'bond0',
      },
    );
    expect(answer(device)).toEqual([404, 'No Machine matches the given query.']);
  });
});

describe('create_vlan and create_bridge', () => {
  it('makes a VLAN interface named <parent>.<vid> with the parent MAC, on a tagged VLAN of the same fabric', async () => {
    const sim = createSimulator();
    const eno3 = byName(await ifaces(sim, 'web-06'), 'eno3');
    const url = `${nodeUrl(sim, 'web-06')}?op=create_vlan`;
    const res = await req(sim, sim.users.admin, 'POST', url, { vlan: '5005', parent: String(eno3.id) });
    expect(res.json<Iface>()).toMatchObject({
      name: 'eno3.100',
      type: 'vlan',
      mac_address: eno3.mac_address,
      parents: ['eno3'],
      vlan: { id: 5005, vid: 100 },
      links: [{ mode: 'link_up' }],
    });
    const cases: [Record<string, string>, string][] = [
      [{ parent: String(eno3.id) }, '{"vlan": ["A VLAN interface must be connected to a tagged VLAN."]}'],
      [
        { vlan: '5004', parent: String(eno3.id) },
        '{"vlan": ["A VLAN interface can only belong to a tagged VLAN."]}',
      ],
      [
        { vlan: '5002', parent: String(eno3.id) },
        '{"vlan": ["A VLAN interface can only belong to a tagged VLAN on the same fabric as its parent interface."]}',
      ],
      [{ vlan: '5006' }, '{"parent": ["A VLAN interface must have exactly one parent."]}'],
      [
        { vlan: '5006', parent: String(res.json<Iface>().id) },
        `{"parent": ["A VLAN interface can't have another VLAN interface as parent."]}`,
      ],
    ];
    for (const [form, text] of cases) {
      expect(answer(await req(sim, sim.users.admin, 'POST', url, form)), JSON.stringify(form)).toEqual([
        400,
        text,
      ]);
    }
  });

  it('makes a bridge with MAAS defaults (standard, stp off, forward delay 15) and requires a name and one parent', async () => {
    const sim = createSimulator();
    const eno4 = byName(await ifaces(sim, 'web-06'), 'eno4');
    const url = `${nodeUrl(sim, 'web-06')}?op=create_bridge`;
    const empty = await req(sim, sim.users.admin, 'POST', url);
    expect(answer(empty)).toEqual([
      400,
      '{"name": ["This field is required."], "parent": ["A bridge interface must have exactly one parent."], "mac_address": ["This field cannot be blank."]}',
    ]);
    const br = await req(sim, sim.users.admin, 'POST', url, { name: 'br0', parent: String(eno4.id) });
    expect(br.json<Iface>()).toMatchObject({
      name: 'br0',
      type: 'bridge',
      mac_address: eno4.mac_address,
      parents: ['eno4'],
      params: { bridge_type: 'standard', bridge_stp: false, bridge_fd: 15 },
    });
    const onBridge = await req(sim, sim.users.admin, 'POST', url, {
      name: 'br1',
      parent: String(br.json<Iface>().id),
    });
    expect(answer(onBridge)).toEqual([
      400,
      `{"parent": ["A bridge interface can't have a parent that is already in a bond or a bridge."]}`,
    ]);
    const again = await req(sim, sim.users.admin, 'POST', url, { name: 'br1', parent: String(eno4.id) });
    expect(answer(again)).toEqual([400, '{"parents": ["Interfaces already in-use: eno4."]}']);
  });

  it('on an Allocated machine, moves the parent links onto an acquired bridge that release removes', async () => {
    const sim = createSimulator();
    sim.control.setMachine('web-06', { status: S.ALLOCATED, owner: 'admin', power: 'off' });
    const eno1 = byName(await ifaces(sim, 'web-06'), 'eno1');
    const br = await req(sim, sim.users.admin, 'POST', `${nodeUrl(sim, 'web-06')}?op=create_bridge`, {
      name: 'br-eno1',
      parent: String(eno1.id),
      vlan: '5004',
    });
    expect(br.json<Iface>()).toMatchObject({ vlan: { id: 5001 }, links: [{ mode: 'auto' }] });
    expect(byName(await ifaces(sim, 'web-06'), 'eno1').links).toEqual([]);
    await req(sim, sim.users.admin, 'POST', `machines/${sid(sim, 'web-06')}/?op=release`);
    const after = await ifaces(sim, 'web-06');
    expect(after.map((i) => i.name)).not.toContain('br-eno1');
    expect(byName(after, 'eno1').links.map((l) => l.mode)).toEqual(['auto']);
  });
});

describe('link_subnet, unlink_subnet and set_default_gateway', () => {
  it('links STATIC with a chosen or allocated address, and checks subnet, dynamic range and address use', async () => {
    const sim = createSimulator();
    const eno3 = byName(await ifaces(sim, 'web-06'), 'eno3');
    const url = `${nodeUrl(sim, 'web-06')}${eno3.id}/?op=link_subnet`;
    const picked = await req(sim, sim.users.admin, 'POST', url, { mode: 'STATIC', subnet: '6' });
    expect(picked.json<Iface>().links).toEqual([
      expect.objectContaining({ mode: 'static', ip_address: '10.40.0.10' }),
    ]);
    const outside = await req(sim, sim.users.admin, 'POST', url, {
      mode: 'static',
      subnet: '6',
      ip_address: '10.10.0.5',
    });
    expect(answer(outside)).toEqual([
      400,
      `{"ip_address": ["IP address is not in the given subnet '10.40.0.0/22:10.40.0.0/22(vid=0)'."]}`,
    ]);
    const dynamic = await req(sim, sim.users.admin, 'POST', url, {
      mode: 'static',
      subnet: '6',
      ip_address: '10.40.3.7',
    });
    expect(answer(dynamic)).toEqual([
      400,
      '{"ip_address": ["IP address is inside a dynamic range 10.40.3.0 to 10.40.3.254."]}',
    ]);
    const used = await req(sim, sim.users.admin, 'POST', url, {
      mode: 'static',
      subnet: '6',
      ip_address: '10.40.0.10',
    });
    expect(answer(used)).toEqual([404, 'IP address is already in use.']);
    const otherVlan = await req(sim, sim.users.admin, 'POST', url, { mode: 'static', subnet: '1' });
    expect(answer(otherVlan)).toEqual([400, '{"subnet": ["None found with id=1."]}']);
    const bySpec = await req(sim, sim.users.admin, 'POST', url, {
      mode: 'static',
      subnet: 'cidr:10.10.0.0/24',
    });
    expect(answer(bySpec)).toEqual([
      400,
      '{"subnet": ["Select a valid choice. That choice is not one of the available choices."]}',
    ]);
  });

  it('takes the mode in any case, refuses DHCP twice, LINK_UP over links and a gateway where MAAS does', async () => {
    const sim = createSimulator();
    const eno2 = byName(await ifaces(sim, 'web-06'), 'eno2');
    const url = `${nodeUrl(sim, 'web-06')}${eno2.id}/?op=link_subnet`;
    expect((await req(sim, sim.users.admin, 'POST', url, { mode: 'Dhcp' })).status).toBe(200);
    expect(answer(await req(sim, sim.users.admin, 'POST', url, { mode: 'dhcp' }))).toEqual([
      400,
      '{"mode": ["Interface is already set to DHCP."]}',
    ]);
    expect(answer(await req(sim, sim.users.admin, 'POST', url, { mode: 'link_up' }))).toEqual([
      400,
      '{"mode": ["Cannot configure interface to link up (with no IP address) while other links are already configured. Specify force=True to override this behavior and delete all links."]}',
    ]);
    const forced = await req(sim, sim.users.admin, 'POST', url, { mode: 'link_up', force: 'true' });
    expect(forced.json<Iface>().links.map((l) => l.mode)).toEqual(['link_up']);
    expect(
      answer(await req(sim, sim.users.admin, 'POST', url, { mode: 'dhcp', default_gateway: 'true' })),
    ).toEqual([400, `{"default_gateway": ["Cannot use in mode 'dhcp'."]}`]);
    expect(answer(await req(sim, sim.users.admin, 'POST', url, { mode: 'unknown' }))).toEqual([
      400,
      `{"mode": ["'unknown' is not a valid mode.  It should be one of: 'auto', 'dhcp', 'static', 'link_up'."]}`,
    ]);
    const oob = byName(await ifaces(sim, 'web-01'), 'eno2');
    const noGw = await req(
      sim,
      sim.users.admin,
      'POST',
      `${nodeUrl(sim, 'web-01')}${oob.id}/?op=link_subnet`,
      {
        mode: 'static',
        subnet: '2',
        default_gateway: 'true',
      },
    );
    expect(noGw.status).toBe(200);
  });

  it('links a device interface only as STATIC', async () => {
    const sim = createSimulator();
    const pdu = deviceId(sim, 'pdu-a1');
    const eth0 = (await req(sim, sim.users.admin, 'GET', `nodes/${pdu}/interfaces/`)).json<
      Iface[]
    >()[0] as Iface;
    const res = await req(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${pdu}/interfaces/${eth0.id}/?op=link_subnet`,
      { mode: 'DHCP' },
    );
    expect(answer(res)).toEqual([
      400,
      `{"mode": ["'dhcp' is not a valid mode.  It should be one of: 'static'."]}`,
    ]);
  });

  it('unlinks by link id (LINK_UP comes back), and names the valid ids when given another', async () => {
    const sim = createSimulator();
    const eno1 = byName(await ifaces(sim, 'web-06'), 'eno1');
    const url = `${nodeUrl(sim, 'web-06')}${eno1.id}/?op=unlink_subnet`;
    const link = eno1.links[0] as Link;
    expect(answer(await req(sim, sim.users.admin, 'POST', url, { id: '999' }))).toEqual([
      400,
      `{"id": ["'999' is not a valid id.  It should be one of: ${eno1.links.map((l) => `'${l.id}'`).join(', ')}."]}`,
    ]);
    const res = await req(sim, sim.users.admin, 'POST', url, { id: String(link.id) });
    expect(res.json<Iface>().links.map((l) => l.mode)).toEqual(['link_up']);
  });

  it('sets the default gateway from a link, and needs link_id when two IPv4 gateways are possible', async () => {
    const sim = createSimulator();
    const eno1 = byName(await ifaces(sim, 'web-06'), 'eno1');
    const base = `${nodeUrl(sim, 'web-06')}${eno1.id}/`;
    await req(sim, sim.users.admin, 'POST', `${base}?op=link_subnet`, { mode: 'static', subnet: '4' });
    const two = await req(sim, sim.users.admin, 'POST', `${base}?op=set_default_gateway`);
    expect(answer(two)).toEqual([
      400,
      '{"link_id": ["This field is required; Interface has more than one usable IPv4 gateway."]}',
    ]);
    const chosen = (await ifaces(sim, 'web-06'))
      .find((i) => i.id === eno1.id)
      ?.links.find((l) => l.mode === 'static') as Link;
    expect(
      (
        await req(sim, sim.users.admin, 'POST', `${base}?op=set_default_gateway`, {
          link_id: String(chosen.id),
        })
      ).status,
    ).toBe(200);
    const m = (await req(sim, sim.users.admin, 'GET', `machines/${sid(sim, 'web-06')}/`)).json<{
      default_gateways: { ipv4: { gateway_ip: string; link_id: number } };
    }>();
    expect(m.default_gateways.ipv4).toEqual({ gateway_ip: '10.128.0.1', link_id: chosen.id });
    const eno3 = byName(await ifaces(sim, 'web-06'), 'eno3');
    const none = await req(
      sim,
      sim.users.admin,
      'POST',
      `${nodeUrl(sim, 'web-06')}${eno3.id}/?op=set_default_gateway`,
    );
    expect(answer(none)).toEqual([400, '{"__all__": ["This interface has no usable gateways."]}']);
  });

  it('answers link ops on a bond member with the bond error, and on a deployed machine with 409', async () => {
    const sim = createSimulator();
    const list = await ifaces(sim, 'web-06');
    const [eno3, eno4] = [byName(list, 'eno3'), byName(list, 'eno4')];
    await req(sim, sim.users.admin, 'POST', `${nodeUrl(sim, 'web-06')}?op=create_bond`, {
      name: 'bond0',
      parents: [String(eno3.id), String(eno4.id)],
    });
    const member = await req(
      sim,
      sim.users.admin,
      'POST',
      `${nodeUrl(sim, 'web-06')}${eno3.id}/?op=link_subnet`,
      { mode: 'dhcp' },
    );
    expect(answer(member)).toEqual([
      400,
      '{"bond": ["Cannot link interface(eno3) when interface is in a bond(bond0)."]}',
    ]);
    const db01 = byName(await ifaces(sim, 'db-01'), 'eno3');
    sim.control.setMachine('db-01', { locked: false });
    const deployed = await req(
      sim,
      sim.users.admin,
      'POST',
      `${nodeUrl(sim, 'db-01')}${db01.id}/?op=link_subnet`,
      { mode: 'dhcp' },
    );
    expect(answer(deployed)).toEqual([
      409,
      'Cannot link subnet interface because the machine is not New, Ready, Allocated, or Broken.',
    ]);
  });
});

describe('PUT, DELETE and MTU', () => {
  it('raises the parents of a child with a larger MTU and lowers larger children when a parent goes down', async () => {
    const sim = createSimulator();
    const eno2 = byName(await ifaces(sim, 'web-06'), 'eno2');
    const vlan = await req(sim, sim.users.admin, 'POST', `${nodeUrl(sim, 'web-06')}?op=create_vlan`, {
      vlan: '5002',
      parent: String(byName(await ifaces(sim, 'web-06'), 'eno1').id),
      mtu: '9000',
    });
    expect(vlan.json<Iface>().effective_mtu).toBe(9000);
    const eno1 = byName(await ifaces(sim, 'web-06'), 'eno1');
    expect([eno1.params, eno1.effective_mtu]).toEqual([{ mtu: 9000 }, 9000]);
    await req(sim, sim.users.admin, 'PUT', `${nodeUrl(sim, 'web-06')}${eno1.id}/`, { mtu: '1500' });
    expect(byName(await ifaces(sim, 'web-06'), 'eno1.20').params).toEqual({ mtu: 1500 });
    const cleared = await req(sim, sim.users.admin, 'PUT', `${nodeUrl(sim, 'web-06')}${eno2.id}/`, {
      mtu: '',
    });
    expect(cleared.json<Iface>().params).toBe('');
  });

  it('updates bond parameters by PUT, keeping the ones not given', async () => {
    const sim = createSimulator();
    const list = await ifaces(sim, 'web-06');
    const bond = (
      await req(sim, sim.users.admin, 'POST', `${nodeUrl(sim, 'web-06')}?op=create_bond`, {
        name: 'bond0',
        parents: [String(byName(list, 'eno3').id), String(byName(list, 'eno4').id)],
        bond_mode: 'active-backup',
      })
    ).json<Iface>();
    const put = await req(sim, sim.users.admin, 'PUT', `${nodeUrl(sim, 'web-06')}${bond.id}/`, {
      bond_mode: '802.3ad',
      bond_miimon: '200',
    });
    expect(put.json<Iface>().params).toMatchObject({
      bond_mode: '802.3ad',
      bond_miimon: 200,
      bond_lacp_rate: 'fast',
    });
  });

  it('drops the links of an interface whose VLAN changes or that is disabled', async () => {
    const sim = createSimulator();
    const eno1 = byName(await ifaces(sim, 'web-06'), 'eno1');
    const moved = await req(sim, sim.users.admin, 'PUT', `${nodeUrl(sim, 'web-06')}${eno1.id}/`, {
      vlan: '5004',
    });
    expect(moved.json<Iface>()).toMatchObject({ vlan: { id: 5004 }, links: [{ mode: 'link_up' }] });
    const eno2 = byName(await ifaces(sim, 'web-06'), 'eno2');
    const off = await req(sim, sim.users.admin, 'PUT', `${nodeUrl(sim, 'web-06')}${eno2.id}/`, {
      enabled: 'false',
    });
    expect(off.json<Iface>()).toMatchObject({ enabled: false, links: [] });
  });

  it('takes only name and MAC on a Deployed machine', async () => {
    const sim = createSimulator();
    sim.control.setMachine('db-01', { locked: false });
    const eno3 = byName(await ifaces(sim, 'db-01'), 'eno3');
    const res = await req(sim, sim.users.admin, 'PUT', `${nodeUrl(sim, 'db-01')}${eno3.id}/`, {
      name: 'data0',
      vlan: '5001',
      mtu: '9000',
    });
    expect(res.json<Iface>()).toMatchObject({ name: 'data0', vlan: { id: 5004 }, params: '' });
  });

  it("lets a device's owner update its interface by PUT (name, VLAN — which drops its links)", async () => {
    const sim = createSimulator();
    const kvm = deviceId(sim, 'kvm-console-01');
    const eth0 = (await req(sim, sim.users.operator, 'GET', `nodes/${kvm}/interfaces/`)).json<
      Iface[]
    >()[0] as Iface;
    expect(eth0.links.map((l) => l.ip_address)).toEqual(['10.10.0.253']);
    const res = await req(sim, sim.users.operator, 'PUT', `nodes/${kvm}/interfaces/${eth0.id}/`, {
      name: 'mgmt0',
      vlan: '5004',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json<Iface>()).toMatchObject({
      name: 'mgmt0',
      vlan: { id: 5004 },
      links: [{ mode: 'link_up' }],
    });
    const bob = await req(sim, sim.users.other, 'PUT', `nodes/${kvm}/interfaces/${eth0.id}/`, { name: 'x' });
    expect(answer(bob)).toEqual([403, '']);
  });

  it('deletes an interface with the children that had only it as parent', async () => {
    const sim = createSimulator();
    const eno3 = byName(await ifaces(sim, 'web-06'), 'eno3');
    await req(sim, sim.users.admin, 'POST', `${nodeUrl(sim, 'web-06')}?op=create_vlan`, {
      vlan: '5005',
      parent: String(eno3.id),
    });
    expect((await req(sim, sim.users.admin, 'DELETE', `${nodeUrl(sim, 'web-06')}eno3/`)).status).toBe(204);
    expect((await ifaces(sim, 'web-06')).map((i) => i.name)).toEqual(['eno1', 'eno2', 'eno4']);
    sim.control.setMachine('web-06', { status: S.DEPLOYED, owner: 'admin' });
    expect(answer(await req(sim, sim.users.admin, 'DELETE', `${nodeUrl(sim, 'web-06')}eno4/`))).toEqual([
      409,
      'Cannot delete interface interface because the machine is not New, Ready, Allocated, or Broken.',
    ]);
    expect(answer(await req(sim, sim.users.admin, 'GET', `${nodeUrl(sim, 'web-06')}nope/`))).toEqual([
      404,
      'No Interface matches the given query.',
    ]);
  });

  it('disconnects an interface: no address, no VLAN', async () => {
    const sim = createSimulator();
    const eno1 = byName(await ifaces(sim, 'web-06'), 'eno1');
    const res = await req(sim, sim.users.admin, 'POST', `${nodeUrl(sim, 'web-06')}${eno1.id}/?op=disconnect`);
    expect(res.json<Iface>()).toMatchObject({ vlan: null, links: [] });
  });
});

describe('restore_networking_configuration', () => {
  it('removes API-made interfaces, clears links and settings, and re-links the boot interface AUTO', async () => {
    const sim = createSimulator();
    const list = await ifaces(sim, 'web-06');
    await req(sim, sim.users.admin, 'POST', `${nodeUrl(sim, 'web-06')}?op=create_bond`, {
      name: 'bond0',
      parents: [String(byName(list, 'eno3').id), String(byName(list, 'eno4').id)],
    });
    await req(sim, sim.users.admin, 'PUT', `${nodeUrl(sim, 'web-06')}${byName(list, 'eno2').id}/`, {
      vlan: '5003',
      mtu: '9000',
    });
    const res = await req(
      sim,
      sim.users.admin,
      'POST',
      `machines/${sid(sim, 'web-06')}/?op=restore_networking_configuration`,
    );
    expect(res.status).toBe(200);
    const after = await ifaces(sim, 'web-06');
    expect(
      after.map((i) => [i.name, i.vlan?.id, i.params, i.links.map((l) => [l.mode, l.subnet?.cidr])]),
    ).toEqual([
      ['eno1', 5001, '', [['auto', '10.10.0.0/24']]],
      ['eno2', 5002, '', [['link_up', undefined]]],
      ['eno3', 5004, '', [['link_up', undefined]]],
      ['eno4', 5004, '', [['link_up', undefined]]],
    ]);
  });
});
