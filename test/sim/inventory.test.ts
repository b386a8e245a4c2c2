import { describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/sim/simulator.ts';
import { call, json, type MachineJson, sid } from './helpers.ts';

describe('zones and resource pools', () => {
  const sim = createSimulator();
  const { admin, operator: alice } = sim.users;

  it('lists zones by name with their resource URIs', async () => {
    const zones = await json<{ name: string; resource_uri: string; id: number; description: string }[]>(
      await call(sim, alice, 'GET', 'zones/'),
    );
    expect(zones.map((z) => z.name)).toEqual(['default', 'zone-a', 'zone-b']);
    expect(zones[1]).toEqual({
      name: 'zone-a',
      description: 'Row A, racks 1-4 (DC1)',
      id: 2,
      resource_uri: '/MAAS/api/2.0/zones/zone-a/',
    });
  });

  it('lets only admins create, update and delete zones', async () => {
    for (const [method, path] of [
      ['POST', 'zones/'],
      ['PUT', 'zones/zone-a/'],
      ['DELETE', 'zones/zone-a/'],
    ] as const) {
      const res = await call(sim, alice, method, path, { form: { name: 'x' } });
      expect([res.status, await res.text()], `${method} ${path}`).toEqual([
        403,
        'This method is reserved for admin users.',
      ]);
    }
    const created = await call(sim, admin, 'POST', 'zones/', {
      form: { name: 'zone-c', description: 'Row C' },
    });
    expect(await json(created)).toMatchObject({
      name: 'zone-c',
      description: 'Row C',
      resource_uri: '/MAAS/api/2.0/zones/zone-c/',
    });
    const dup = await call(sim, admin, 'POST', 'zones/', { form: { name: 'zone-c' } });
    expect([dup.status, await dup.text()]).toEqual([
      400,
      '{"name": ["Zone with this Name already exists."]}',
    ]);
    const renamed = await call(sim, admin, 'PUT', 'zones/zone-c/', { form: { name: 'zone-d' } });
    expect(await json(renamed)).toMatchObject({ name: 'zone-d' });
    expect((await call(sim, admin, 'DELETE', 'zones/zone-d/')).status).toBe(204);
    const gone = await call(sim, admin, 'GET', 'zones/zone-d/');
    expect([gone.status, await gone.text()]).toEqual([404, 'No Zone matches the given query.']);
    const dflt = await call(sim, admin, 'DELETE', 'zones/default/');
    expect(dflt.status).toBe(400);
  });

  it('moves machines to the default zone when their zone is deleted', async () => {
    await call(sim, admin, 'POST', 'zones/', { form: { name: 'doomed' } });
    await call(sim, admin, 'PUT', `machines/${sid(sim, 'web-06')}/`, { form: { zone: 'doomed' } });
    await call(sim, admin, 'DELETE', 'zones/doomed/');
    const m = await json<MachineJson>(await call(sim, admin, 'GET', `machines/${sid(sim, 'web-06')}/`));
    expect((m.zone as { name: string }).name).toBe('default');
  });

  it('serves pools by id or name at the singular URL, with superuser-only writes', async () => {
    const pools = await json<{ id: number; name: string; resource_uri: string }[]>(
      await call(sim, alice, 'GET', 'resourcepools/'),
    );
    expect(pools[0]).toMatchObject({ id: 0, name: 'default', resource_uri: '/MAAS/api/2.0/resourcepool/0/' });
    expect(await json(await call(sim, alice, 'GET', 'resourcepool/staging/'))).toMatchObject({
      id: 2,
      name: 'staging',
    });
    const denied = await call(sim, alice, 'POST', 'resourcepools/', { form: { name: 'mine' } });
    expect([denied.status, await denied.text()]).toEqual([403, '']);
    expect((await call(sim, alice, 'PUT', 'resourcepool/2/', { form: { description: 'x' } })).status).toBe(
      403,
    );
    expect((await call(sim, alice, 'DELETE', 'resourcepool/2/')).status).toBe(403);
    const created = await json<{ id: number }>(
      await call(sim, admin, 'POST', 'resourcepools/', { form: { name: 'batch', description: 'HPC' } }),
    );
    expect(created).toMatchObject({
      name: 'batch',
      description: 'HPC',
      resource_uri: `/MAAS/api/2.0/resourcepool/${created.id}/`,
    });
    const dup = await call(sim, admin, 'POST', 'resourcepools/', { form: { name: 'batch' } });
    expect(await dup.text()).toBe('{"name": ["Resource pool with this Name already exists."]}');
    expect((await call(sim, admin, 'DELETE', `resourcepool/${created.id}/`)).status).toBe(204);
    const missing = await call(sim, admin, 'GET', 'resourcepool/batch/');
    expect([missing.status, await missing.text()]).toEqual([404, 'No ResourcePool matches the given query.']);
  });
});

describe('tags', () => {
  const sim = createSimulator();
  const { admin, operator: alice } = sim.users;

  it('lists tags and lets only superusers create them', async () => {
    const tags = await json<{ name: string }[]>(await call(sim, alice, 'GET', 'tags/'));
    expect(tags.map((t) => t.name)).toEqual([
      'virtual',
      'gpu',
      'ssd',
      'nvme',
      'storage',
      'compute',
      'edge',
      'k8s',
    ]);
    const denied = await call(sim, alice, 'POST', 'tags/', { form: { name: 'mine' } });
    expect([denied.status, await denied.text()]).toEqual([403, '']);
    const bad = await call(sim, admin, 'POST', 'tags/', { form: { name: 'has space' } });
    expect([bad.status, await bad.text()]).toEqual([400, '{"name": ["Enter a valid value."]}']);
    const dup = await call(sim, admin, 'POST', 'tags/', { form: { name: 'gpu' } });
    expect(await dup.text()).toBe('{"name": ["Tag with this Name already exists."]}');
    const made = await call(sim, admin, 'POST', 'tags/', { form: { name: 'rack-7', comment: 'Rack 7' } });
    expect(await json(made)).toEqual({
      name: 'rack-7',
      definition: '',
      comment: 'Rack 7',
      kernel_opts: '',
      resource_uri: '/MAAS/api/2.0/tags/rack-7/',
    });
  });

  it('adds and removes nodes with update_nodes, ignoring unknown ids', async () => {
    await call(sim, admin, 'POST', 'tags/', { form: { name: 'canary' } });
    const res = await call(sim, admin, 'POST', 'tags/canary/?op=update_nodes', {
      form: [
        ['add', sid(sim, 'web-01')],
        ['add', sid(sim, 'web-02')],
        ['add', 'nosuch'],
        ['remove', sid(sim, 'db-01')],
      ],
    });
    expect(await json(res)).toEqual({ added: 2, removed: 1 });
    const machines = await json<MachineJson[]>(await call(sim, alice, 'GET', 'tags/canary/?op=machines'));
    expect(machines.map((m) => m.hostname)).toEqual(['web-01', 'web-02']);
    expect((await json<MachineJson[]>(await call(sim, alice, 'GET', 'machines/?tags=canary'))).length).toBe(
      2,
    );
    const rm = await call(sim, admin, 'POST', 'tags/canary/?op=update_nodes', {
      form: { remove: sid(sim, 'web-02') },
    });
    expect(await json(rm)).toEqual({ added: 0, removed: 1 });
    const denied = await call(sim, alice, 'POST', 'tags/canary/?op=update_nodes', {
      form: { add: sid(sim, 'web-06') },
    });
    expect(denied.status).toBe(403);
  });

  it('refuses update_nodes when the supplied definition differs', async () => {
    const res = await call(sim, admin, 'POST', 'tags/virtual/?op=update_nodes', {
      form: { definition: 'other', add: sid(sim, 'web-01') },
    });
    expect([res.status, await res.text()]).toEqual([
      409,
      `Definition supplied 'other' doesn't match current definition '//node[@class="system"]/vendor = "QEMU"'`,
    ]);
  });

  it('renames and deletes tags everywhere, and 404s for an unknown one', async () => {
    await call(sim, admin, 'PUT', 'tags/edge/', { form: { name: 'edge-site' } });
    const m = await json<MachineJson>(await call(sim, admin, 'GET', `machines/${sid(sim, 'edge-02')}/`));
    expect(m.tag_names).toEqual(['edge-site']);
    expect((await call(sim, alice, 'DELETE', 'tags/edge-site/')).status).toBe(403);
    expect((await call(sim, admin, 'DELETE', 'tags/edge-site/')).status).toBe(204);
    const res = await call(sim, admin, 'GET', 'tags/edge-site/');
    expect([res.status, await res.text()]).toEqual([404, 'No Tag matches the given query.']);
  });
});

describe('subnets, devices, controllers, users', () => {
  const sim = createSimulator();
  const { admin, operator: alice } = sim.users;

  it('lists subnets with nested VLANs, and serves one by id or CIDR', async () => {
    const subnets = await json<{ cidr: string; vlan: { vid: number; fabric: string } }[]>(
      await call(sim, alice, 'GET', 'subnets/'),
    );
    expect(subnets.map((s) => s.cidr)).toEqual([
      '10.10.0.0/24',
      '10.20.0.0/24',
      '2001:db8:10::/64',
      '10.128.0.0/16',
      '10.30.0.0/24',
      '10.40.0.0/22',
      '10.100.0.0/24',
    ]);
    expect(subnets[1]?.vlan).toMatchObject({ vid: 20, fabric: 'fabric-0' });
    expect(await json(await call(sim, alice, 'GET', 'subnets/2/'))).toMatchObject({
      cidr: '10.20.0.0/24',
      resource_uri: '/MAAS/api/2.0/subnets/2/',
    });
    expect((await call(sim, alice, 'GET', 'subnets/99/')).status).toBe(404);
    const stats = await json<{ num_unavailable: number }>(
      await call(sim, alice, 'GET', 'subnets/1/?op=statistics'),
    );
    expect(stats.num_unavailable).toBeGreaterThan(0);
  });

  it('lists, creates, updates and deletes devices, owned by their creator', async () => {
    const adminView = await json<{ hostname: string; node_type_name: string }[]>(
      await call(sim, admin, 'GET', 'devices/'),
    );
    expect(adminView.map((d) => d.hostname)).toEqual(['sw-core-01', 'sw-tor-b1', 'pdu-a1', 'kvm-console-01']);
    expect(adminView[0]?.node_type_name).toBe('Device');
    expect(
      (await json<{ hostname: string }[]>(await call(sim, alice, 'GET', 'devices/'))).map((d) => d.hostname),
    ).toEqual(['kvm-console-01']);
    const bad = await call(sim, alice, 'POST', 'devices/', { form: { hostname: 'phone' } });
    expect([bad.status, await bad.text()]).toEqual([400, '{"mac_addresses": ["This field is required."]}']);
    const made = await json<{ system_id: string; owner: string; fqdn: string }>(
      await call(sim, alice, 'POST', 'devices/', {
        form: { hostname: 'phone', mac_addresses: 'aa:bb:cc:dd:ee:01' },
      }),
    );
    expect(made).toMatchObject({ owner: 'alice', fqdn: 'phone.maas' });
    const upd = await call(sim, alice, 'PUT', `devices/${made.system_id}/`, {
      form: { description: 'desk phone' },
    });
    expect(await json(upd)).toMatchObject({ description: 'desk phone' });
    expect((await call(sim, sim.users.other, 'GET', `devices/${made.system_id}/`)).status).toBe(403);
    expect((await call(sim, alice, 'DELETE', `devices/${made.system_id}/`)).status).toBe(204);
    const dupMac = sim.state.machineByHostname('web-01')?.interfaces[0]?.mac;
    const used = await call(sim, alice, 'POST', 'devices/', { form: { mac_addresses: dupMac ?? '' } });
    expect(await used.text()).toBe(`{"mac_addresses": ["MAC address ${dupMac} already in use on web-01."]}`);
  });

  it('filters devices with the machine list filters (ReadNodesForm, MAAS maasserver/api/devices.py)', async () => {
    const devices = async (query: string) => {
      const res = await call(sim, admin, 'GET', `devices/${query}`);
      if (res.status !== 200) throw new Error(`${query}: ${res.status} ${await res.text()}`);
      return (await json<{ hostname: string }[]>(res)).map((d) => d.hostname);
    };
    const all = ['sw-core-01', 'sw-tor-b1', 'pdu-a1', 'kvm-console-01'];
    // Once refused with 400 "No such constraint." by a hand-kept subset of the form's fields.
    expect(await devices('?status=deployed')).toEqual([]);
    expect(await devices('?not_status=deployed')).toEqual(all);
    expect(await devices('?pool=default')).toEqual(all);
    expect(await devices('?subnets=10.10.0.0/24')).toEqual(all);
    expect(await devices('?not_subnets=10.10.0.0/24')).toEqual([]);
    expect(await devices('?zone=zone-a&owner=alice')).toEqual(['kvm-console-01']);
    const bad = await call(sim, admin, 'GET', 'devices/?status=bogus');
    expect([bad.status, await bad.text()]).toEqual([
      400,
      '{"status": ["Select a valid choice. bogus is not one of the available choices."]}',
    ]);
    const unknown = await call(sim, admin, 'GET', 'devices/?colour=red');
    expect([unknown.status, await unknown.text()]).toEqual([400, '{"colour": ["No such constraint."]}']);
  });

  it("gives a deleted device's static addresses back", async () => {
    const made = await json<{ system_id: string; interface_set: { id: number }[] }>(
      await call(sim, admin, 'POST', 'devices/', {
        form: { hostname: 'cam-01', mac_addresses: 'aa:bb:cc:dd:ee:07' },
      }),
    );
    const link = await call(
      sim,
      admin,
      'POST',
      `nodes/${made.system_id}/interfaces/${made.interface_set[0]?.id}/?op=link_subnet`,
      { form: { mode: 'static', subnet: '10.10.0.0/24', ip_address: '10.10.0.190' } },
    );
    expect(link.status).toBe(200);
    expect(sim.state.ips.get('10.10.0.190')).toBe(made.system_id);
    expect((await call(sim, admin, 'DELETE', `devices/${made.system_id}/`)).status).toBe(204);
    expect(sim.state.ips.has('10.10.0.190')).toBe(false);
  });

  it('shows controllers to admins only', async () => {
    const racks = await json<{ hostname: string; node_type: number; service_set: unknown[] }[]>(
      await call(sim, admin, 'GET', 'rackcontrollers/'),
    );
    expect(racks.map((r) => r.hostname)).toEqual(['maas-ctrl', 'rack-02']);
    expect(racks[0]?.node_type).toBe(4);
    expect(racks[0]?.service_set.length).toBeGreaterThan(3);
    const regions = await json<{ hostname: string; version: string }[]>(
      await call(sim, admin, 'GET', 'regioncontrollers/'),
    );
    expect(regions).toHaveLength(1);
    expect(regions[0]?.version).toMatch(/^3\.7\.3/);
    expect(await json(await call(sim, alice, 'GET', 'rackcontrollers/'))).toEqual([]);
    expect(await json(await call(sim, alice, 'GET', 'regioncontrollers/'))).toEqual([]);
    expect(
      (
        await call(
          sim,
          alice,
          'GET',
          `rackcontrollers/${racks.length ? sim.state.nodes.values().next().value?.systemId : ''}/`,
        )
      ).status,
    ).toBe(403);
  });

  it('lists users and serves one', async () => {
    const users = await json<{ username: string }[]>(await call(sim, alice, 'GET', 'users/'));
    expect(users.map((u) => u.username)).toEqual(['admin', 'alice', 'bob']);
    expect(await json(await call(sim, alice, 'GET', 'users/admin/'))).toMatchObject({ is_superuser: true });
  });
});
