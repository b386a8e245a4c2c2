/**
 * Fabrics and VLANs (MAAS `maasserver/api/fabrics.py`, `vlans.py`, `maasserver/models/fabric.py`, `vlan.py`) and
 * DNS resources and records (MAAS `maasserver/api/dnsresources.py`, `dnsresourcerecords.py`,
 * `maasserver/forms/dnsresource.py`, `maasserver/models/dnsresource.py`, `dnsdata.py`).
 */
import { describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/sim/simulator.ts';
import { answer, req } from './helpers.ts';

interface Vlan {
  id: number;
  vid: number;
  name: string | null;
  fabric: string;
  fabric_id: number;
  mtu: number;
  space: string;
  resource_uri: string;
}
interface Fabric {
  id: number;
  name: string;
  class_type: string | null;
  vlans: Vlan[];
}
interface IpJson {
  ip: string;
  alloc_type: number;
  alloc_type_name: string;
  owner: { username: string } | null;
  subnet: { cidr: string } | null;
}
interface Resource {
  id: number;
  fqdn: string;
  address_ttl: number | null;
  ip_addresses: IpJson[];
  resource_records: { id: number; rrtype: string; rrdata: string; fqdn: string }[];
  resource_uri: string;
}

describe('fabrics and VLANs', () => {
  it('lists the seeded fabrics with their VLANs; the first VLAN of each is "untagged"', async () => {
    const sim = createSimulator();
    const fabrics = (await req(sim, sim.users.operator, 'GET', 'fabrics/')).json<Fabric[]>();
    expect(fabrics.map((f) => [f.name, f.vlans.map((v) => [v.vid, v.name, v.space])])).toEqual([
      [
        'fabric-0',
        [
          [0, 'untagged', 'management'],
          [20, 'storage', 'storage'],
        ],
      ],
      ['fabric-1', [[0, 'untagged', 'undefined']]],
      [
        'data',
        [
          [0, 'untagged', 'data'],
          [100, 'tenant-a', 'public'],
          [200, 'tenant-b', 'undefined'],
        ],
      ],
    ]);
  });

  it('lets admins create a fabric (with its untagged VLAN), add VLANs and put one in a space by PUT', async () => {
    const sim = createSimulator();
    const { admin } = sim.users;
    const fabric = (
      await req(sim, admin, 'POST', 'fabrics/', { name: 'backup', class_type: '10g' })
    ).json<Fabric>();
    expect(fabric.vlans.map((v) => [v.vid, v.name, v.mtu])).toEqual([[0, 'untagged', 1500]]);
    const vlan = await req(sim, admin, 'POST', `fabrics/${fabric.id}/vlans/`, {
      vid: '300',
      name: 'backup',
      mtu: '9000',
    });
    expect(vlan.json<Vlan>()).toMatchObject({
      vid: 300,
      name: 'backup',
      mtu: 9000,
      fabric: 'backup',
      space: 'undefined',
    });
    const id = vlan.json<Vlan>().id;
    const spaced = await req(sim, admin, 'PUT', `vlans/${id}/`, { space: 'storage' });
    expect(spaced.json<Vlan>().space).toBe('storage');
    const byVid = await req(sim, admin, 'PUT', `fabrics/${fabric.id}/vlans/300/`, { space: 'undefined' });
    expect(byVid.json<Vlan>().space).toBe('undefined');
    const storage = (await req(sim, admin, 'GET', 'spaces/storage/')).json<{ vlans: Vlan[] }>();
    expect(storage.vlans.map((v) => v.id)).not.toContain(id);
  });

  it("refuses bad VLAN input with the model's texts, and writes from non-admins", async () => {
    const sim = createSimulator();
    const { admin, operator } = sim.users;
    const cases: [Record<string, string>, string][] = [
      [{ vid: '5000' }, '{"vid": ["VID must be between 0 and 4094."]}'],
      [{ vid: '30', mtu: '100' }, '{"mtu": ["MTU must be between 552 and 65535."]}'],
      [{ vid: '20' }, '{"__all__": ["VLAN with this Fabric and Vid already exists."]}'],
      [
        { vid: '31', space: 'nowhere' },
        '{"space": ["Select a valid choice. That choice is not one of the available choices."]}',
      ],
      [{}, '{"vid": ["This field is required."]}'],
    ];
    for (const [form, text] of cases) {
      expect(answer(await req(sim, admin, 'POST', 'fabrics/0/vlans/', form)), JSON.stringify(form)).toEqual([
        400,
        text,
      ]);
    }
    expect(answer(await req(sim, operator, 'POST', 'fabrics/0/vlans/', { vid: '40' }))).toEqual([
      403,
      'This method is reserved for admin users.',
    ]);
    expect(answer(await req(sim, operator, 'PUT', 'vlans/5002/', { name: 'x' }))).toEqual([403, '']);
    expect(answer(await req(sim, operator, 'POST', 'fabrics/', { name: 'x' }))).toEqual([
      403,
      'This method is reserved for admin users.',
    ]);
    expect(answer(await req(sim, admin, 'GET', 'vlans/999/'))).toEqual([
      404,
      'VLAN with specified ID does not exist.',
    ]);
  });

  it('keeps the default fabric and VLANs, and a fabric that still has subnets', async () => {
    const sim = createSimulator();
    const { admin } = sim.users;
    expect(answer(await req(sim, admin, 'DELETE', 'fabrics/0/'))).toEqual([
      400,
      'This fabric is the default fabric, it cannot be deleted.',
    ]);
    expect(answer(await req(sim, admin, 'DELETE', 'fabrics/1/'))).toEqual([
      400,
      "Can't delete fabric; the following subnets are still present: 10.30.0.0/24:10.30.0.0/24(vid=0)",
    ]);
    expect(answer(await req(sim, admin, 'DELETE', 'vlans/5001/'))).toEqual([
      400,
      'This VLAN is the default VLAN in the fabric, it cannot be deleted.',
    ]);
    expect((await req(sim, admin, 'DELETE', 'vlans/5006/')).status).toBe(204);
    const made = (await req(sim, admin, 'POST', 'fabrics/', {})).json<Fabric>();
    expect(made.name).toBe(`fabric-${made.id}`);
    expect((await req(sim, admin, 'DELETE', `fabrics/${made.id}/`)).status).toBe(204);
  });

  it("moves a deleted VLAN's interfaces and subnets to the fabric's default VLAN", async () => {
    const sim = createSimulator();
    const { admin } = sim.users;
    expect((await req(sim, admin, 'DELETE', 'vlans/5005/')).status).toBe(204);
    const subnet = (await req(sim, admin, 'GET', 'subnets/7/')).json<{ vlan: { id: number } }>();
    expect(subnet.vlan.id).toBe(5004);
  });
});

describe('DNS resources', () => {
  it('creates an A record from an fqdn with several addresses, reserving the unknown ones for the caller', async () => {
    const sim = createSimulator();
    const res = await req(sim, sim.users.admin, 'POST', 'dnsresources/', {
      fqdn: 'k8s-api.maas',
      ip_addresses: '10.100.0.5 10.10.0.2',
      address_ttl: '60',
    });
    expect(res.status, res.text).toBe(200);
    const r = res.json<Resource>();
    expect(r).toMatchObject({
      fqdn: 'k8s-api.maas',
      address_ttl: 60,
      resource_records: [],
      resource_uri: `/MAAS/api/2.0/dnsresources/${r.id}/`,
    });
    expect(
      r.ip_addresses.map((ip) => [
        ip.ip,
        ip.alloc_type,
        ip.alloc_type_name,
        ip.owner?.username ?? null,
        ip.subnet?.cidr,
      ]),
    ).toEqual([
      ['10.100.0.5', 4, 'User reserved', 'admin', '10.100.0.0/24'],
      ['10.10.0.2', 1, 'Static', null, '10.10.0.0/24'],
    ]);
    // The reserved address is taken: a STATIC link cannot have it.
    const eno3 = (
      await req(sim, sim.users.admin, 'GET', `nodes/${sim.control.systemId('web-06')}/interfaces/eno3/`)
    ).json<{ id: number }>();
    const link = await req(
      sim,
      sim.users.admin,
      'POST',
      `nodes/${sim.control.systemId('web-06')}/interfaces/${eno3.id}/?op=link_subnet`,
      {
        mode: 'static',
        subnet: '7',
        ip_address: '10.100.0.5',
        force: 'true',
      },
    );
    expect(answer(link)).toEqual([404, 'IP address is already in use.']);
    const list = (await req(sim, sim.users.operator, 'GET', 'dnsresources/?domain=maas')).json<Resource[]>();
    expect(list.map((x) => x.fqdn)).toEqual(['k8s-api.maas']);
  });

  it('takes name + domain, makes an fqdn that is a domain "@", and refuses bad names, duplicates and unknown domains', async () => {
    const sim = createSimulator();
    const { admin } = sim.users;
    const byName = (
      await req(sim, admin, 'POST', 'dnsresources/', {
        name: 'vip',
        domain: 'lab.example',
        ip_addresses: '10.100.0.6',
      })
    ).json<Resource>();
    expect(byName.fqdn).toBe('vip.lab.example');
    const apex = (
      await req(sim, admin, 'POST', 'dnsresources/', { fqdn: 'lab.example', ip_addresses: '10.100.0.7' })
    ).json<Resource>();
    expect(apex.fqdn).toBe('lab.example');
    expect(
      answer(await req(sim, admin, 'POST', 'dnsresources/', { name: 'vip', domain: 'lab.example' })),
    ).toEqual([400, '{"__all__": ["Labels must be unique within their zone."]}']);
    expect(
      answer(await req(sim, admin, 'POST', 'dnsresources/', { name: 'bad_name', domain: 'maas' })),
    ).toEqual([400, '{"__all__": ["Invalid dnsresource name: bad_name."]}']);
    expect(answer(await req(sim, admin, 'POST', 'dnsresources/', { fqdn: 'x.nowhere.example' }))).toEqual([
      404,
      'No Domain matches the given query.',
    ]);
    expect(answer(await req(sim, sim.users.operator, 'POST', 'dnsresources/', { fqdn: 'x.maas' }))).toEqual([
      403,
      'This method is reserved for admin users.',
    ]);
  });

  it('updates and deletes (admins only), giving back reservations nothing else uses', async () => {
    const sim = createSimulator();
    const { admin, operator } = sim.users;
    const r = (
      await req(sim, admin, 'POST', 'dnsresources/', { fqdn: 'vip.maas', ip_addresses: '10.100.0.8' })
    ).json<Resource>();
    expect(
      answer(await req(sim, operator, 'PUT', `dnsresources/${r.id}/`, { ip_addresses: '10.100.0.9' })),
    ).toEqual([403, '']);
    const moved = (
      await req(sim, admin, 'PUT', `dnsresources/${r.id}/`, { ip_addresses: '10.100.0.9' })
    ).json<Resource>();
    expect(moved.ip_addresses.map((i) => i.ip)).toEqual(['10.100.0.9']);
    expect(sim.state.reservedIps.has('10.100.0.8')).toBe(false);
    expect((await req(sim, admin, 'DELETE', `dnsresources/${r.id}/`)).status).toBe(204);
    expect(sim.state.reservedIps.has('10.100.0.9')).toBe(false);
    expect(answer(await req(sim, admin, 'GET', `dnsresources/${r.id}/`))).toEqual([
      404,
      'No DNSResource matches the given query.',
    ]);
  });
});

describe('DNS resource records', () => {
  it('adds records to a name (creating it), lists them, and deletes the name with its last record', async () => {
    const sim = createSimulator();
    const { admin } = sim.users;
    const txt = await req(sim, admin, 'POST', 'dnsresourcerecords/', {
      fqdn: '_acme.lab.example',
      rrtype: 'txt',
      rrdata: 'token',
    });
    expect(txt.json()).toMatchObject({
      fqdn: '_acme.lab.example',
      rrtype: 'TXT',
      rrdata: 'token',
      ttl: null,
    });
    const seeded = (await req(sim, admin, 'GET', 'dnsresourcerecords/?rrtype=CNAME')).json<
      { fqdn: string; rrdata: string }[]
    >();
    expect(seeded.map((x) => [x.fqdn, x.rrdata])).toEqual([['docs.lab.example', 'web-01.maas.']]);
    const id = txt.json<{ id: number }>().id;
    expect((await req(sim, admin, 'DELETE', `dnsresourcerecords/${id}/`)).status).toBe(204);
    expect((await req(sim, admin, 'GET', 'dnsresources/?name=_acme')).json()).toEqual([]);
  });

  it("refuses records without rrtype or rrdata (400 text), with a type MAAS keeps in /dnsresources/, and a name's address next to a CNAME", async () => {
    const sim = createSimulator();
    const { admin } = sim.users;
    expect(
      answer(await req(sim, admin, 'POST', 'dnsresourcerecords/', { fqdn: 'x.maas', rrdata: 'y' })),
    ).toEqual([400, 'rrtype must be provided.']);
    expect(
      answer(await req(sim, admin, 'POST', 'dnsresourcerecords/', { fqdn: 'x.maas', rrtype: 'TXT' })),
    ).toEqual([400, 'rrdata must be provided.']);
    expect(
      answer(
        await req(sim, admin, 'POST', 'dnsresourcerecords/', {
          fqdn: 'x.maas',
          rrtype: 'A',
          rrdata: '10.0.0.1',
        }),
      ),
    ).toEqual([400, '{"rrtype": ["A is not one of CNAME MX NS SRV SSHFP TXT."]}']);
    const docs = (await req(sim, admin, 'GET', 'dnsresources/?name=docs')).json<Resource[]>()[0] as Resource;
    expect(
      answer(await req(sim, admin, 'PUT', `dnsresources/${docs.id}/`, { ip_addresses: '10.100.0.4' })),
    ).toEqual([400, '{"__all__": ["Cannot add address: CNAME present."]}']);
  });
});
