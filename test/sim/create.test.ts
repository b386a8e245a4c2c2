import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import { SimStatus as S } from '../../src/sim/index.ts';
import { createSimulator } from '../../src/sim/simulator.ts';
import { call, json, type MachineJson, sid, useClock } from './helpers.ts';

describe('machine create, update and delete', () => {
  it('creates a machine as an admin and starts commissioning it', async () => {
    const clock = new ManualClock();
    const sim = useClock(createSimulator({ clock }), clock);
    const res = await call(sim, sim.users.admin, 'POST', 'machines/', {
      form: {
        architecture: 'amd64',
        mac_addresses: ['AA:BB:CC:00:11:22', 'aa:bb:cc:00:11:23'],
        hostname: 'fresh-01',
        power_type: 'ipmi',
        power_parameters: JSON.stringify({
          power_address: '10.30.9.9',
          power_user: 'maas',
          power_pass: 'Sup3rSecretPass',
        }),
      },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('Sup3rSecretPass');
    const m = JSON.parse(text) as MachineJson;
    expect(m).toMatchObject({
      hostname: 'fresh-01',
      architecture: 'amd64/generic',
      status_name: 'Commissioning',
      owner: 'admin',
      power_type: 'ipmi',
    });
    expect((m.interface_set as { mac_address: string }[]).map((i) => i.mac_address)).toEqual([
      'aa:bb:cc:00:11:22',
      'aa:bb:cc:00:11:23',
    ]);
    expect(sim.state.machine(m.system_id)?.powerParameters.power_pass).toBe('Sup3rSecretPass');
    await clock.advance(10 * 60_000);
    const ready = await json<MachineJson>(
      await call(sim, sim.users.admin, 'GET', `machines/${m.system_id}/`),
    );
    expect(ready).toMatchObject({ status_name: 'Ready', owner: null });
    expect(ready.cpu_count).toBeGreaterThan(0);
  });

  it('takes power_parameters_<key> fields, and honours commission=false and deployed=true', async () => {
    const sim = createSimulator();
    const a = await json<MachineJson>(
      await call(sim, sim.users.admin, 'POST', 'machines/', {
        form: {
          architecture: 'arm64/generic',
          mac_addresses: '52:54:00:00:00:01',
          power_type: 'virsh',
          power_parameters_power_address: 'qemu+ssh://h/system',
          power_parameters_power_id: 'vm1',
          commission: 'false',
        },
      }),
    );
    expect(a).toMatchObject({ status_name: 'New', architecture: 'arm64/generic' });
    expect(sim.state.machine(a.system_id)?.powerParameters).toEqual({
      power_address: 'qemu+ssh://h/system',
      power_id: 'vm1',
    });
    expect(a.hostname).toMatch(/^[a-z]+-[a-z]+$/);
    const b = await json<MachineJson>(
      await call(sim, sim.users.admin, 'POST', 'machines/', {
        form: {
          architecture: 'amd64',
          mac_addresses: '52:54:00:00:00:02',
          deployed: 'true',
          power_type: 'manual',
        },
      }),
    );
    expect(b).toMatchObject({ status_name: 'Deployed', owner: 'admin' });
  });

  it("leaves a non-admin's machine New and an anonymous enlistment with the anonymous field set", async () => {
    const sim = createSimulator();
    const user = await json<MachineJson>(
      await call(sim, sim.users.operator, 'POST', 'machines/', {
        form: { architecture: 'amd64', mac_addresses: '52:54:00:00:00:03', power_type: 'ipmi' },
      }),
    );
    expect(user.status_name).toBe('New');
    const anon = await json<Record<string, unknown>>(
      await call(sim, null, 'POST', 'machines/', {
        form: { architecture: 'amd64', mac_addresses: '52:54:00:00:00:04' },
      }),
    );
    expect(Object.keys(anon).sort()).toEqual(
      [
        'architecture',
        'domain',
        'fqdn',
        'hostname',
        'node_type',
        'power_state',
        'power_type',
        'resource_uri',
        'status',
        'status_action',
        'status_message',
        'status_name',
        'system_id',
        'zone',
      ].sort(),
    );
  });

  it("validates MACs, architecture and power type with MAAS's messages", async () => {
    const sim = createSimulator();
    const post = (form: Record<string, string | string[]>) =>
      call(sim, sim.users.admin, 'POST', 'machines/', { form });
    const bad = await post({ architecture: 'amd64', mac_addresses: 'invalid' });
    expect([bad.status, await bad.text()]).toEqual([
      400,
      `{"mac_addresses": ["One or more MAC addresses is invalid. ('invalid' is not a valid MAC address.)"]}`,
    ]);
    const mac = sim.state.machineByHostname('web-01')?.interfaces[0]?.mac;
    const used = await post({ architecture: 'amd64', mac_addresses: mac ?? '' });
    expect(await used.text()).toBe(`{"mac_addresses": ["MAC address ${mac} already in use on web-01."]}`);
    const noArch = await post({ mac_addresses: '52:54:00:00:00:09', power_type: 'redfish' });
    expect(await noArch.text()).toBe('{"architecture": ["This field is required."]}');
    const badArch = await post({ mac_addresses: '52:54:00:00:00:09', architecture: 'sparc' });
    expect(badArch.status).toBe(400);
    expect(Object.keys(await json<object>(badArch))).toEqual(['architecture']);
    const kernel = await post({
      mac_addresses: '52:54:00:00:00:09',
      architecture: 'amd64',
      hwe_kernel: 'hwe-22.04',
    });
    expect(await kernel.text()).toBe('hwe kernel must be specified using the min_hwe_kernel argument.');
    const dupName = await post({
      mac_addresses: '52:54:00:00:00:09',
      architecture: 'amd64',
      hostname: 'web-01',
    });
    expect(await dupName.text()).toBe('{"hostname": ["Node with this Hostname already exists."]}');
  });

  it('answers 500 "Unconfigured power type" when commissioning a machine without one', async () => {
    const sim = createSimulator();
    const m = await json<MachineJson>(
      await call(sim, sim.users.admin, 'POST', 'machines/', {
        form: { architecture: 'amd64', mac_addresses: '52:54:00:00:00:05' },
      }),
    );
    expect(m.status_name).toBe('New');
    const res = await call(sim, sim.users.admin, 'POST', `machines/${m.system_id}/?op=commission`);
    expect([res.status, await res.text()]).toEqual([
      500,
      'Unconfigured power type. Please configure the power type and try again.',
    ]);
  });

  it('updates a machine with PUT (admin) and validates the fields', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-06');
    const originalPass = sim.state.machine(id)?.powerParameters.power_pass;
    expect(originalPass).toBeTruthy();
    const res = await call(sim, sim.users.admin, 'PUT', `machines/${id}/`, {
      form: {
        hostname: 'web-06b',
        description: 'spare',
        zone: 'zone-a',
        pool: 'production',
        power_parameters_power_user: 'ops',
      },
    });
    expect(await json(res)).toMatchObject({
      hostname: 'web-06b',
      description: 'spare',
      zone: { name: 'zone-a' },
      pool: { name: 'production' },
    });
    expect(sim.state.machine(id)?.powerParameters.power_user).toBe('ops');
    expect(sim.state.machine(id)?.powerParameters.power_pass).toBe(originalPass);
    const bad = await call(sim, sim.users.admin, 'PUT', `machines/${id}/`, { form: { zone: 'mars' } });
    expect([bad.status, await bad.text()]).toEqual([
      400,
      '{"zone": ["Select a valid choice. That choice is not one of the available choices."]}',
    ]);
  });

  it('deletes a machine (admin, any status) with 204', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'lab-02');
    expect((await call(sim, sim.users.admin, 'DELETE', `machines/${id}/`)).status).toBe(204);
    expect((await call(sim, sim.users.admin, 'GET', `machines/${id}/`)).status).toBe(404);
    await sim.settle();
  });
});

describe('collection ops', () => {
  it('releases several machines, reporting those it released', async () => {
    const sim = createSimulator();
    const ids = ['web-04', 'web-05', 'web-01'].map((h) => sid(sim, h));
    const res = await call(sim, sim.users.admin, 'POST', 'machines/?op=release', { form: { machines: ids } });
    expect(await json(res)).toEqual(ids.slice(0, 2));
    sim.close();
  });

  it('answers the bulk release errors exactly', async () => {
    const sim = createSimulator();
    const unknown = await call(sim, sim.users.admin, 'POST', 'machines/?op=release', {
      form: { machines: ['nope1', 'nope2'] },
    });
    expect([unknown.status, await unknown.text()]).toEqual([400, 'Unknown machine(s): nope1, nope2.']);
    const denied = await call(sim, sim.users.operator, 'POST', 'machines/?op=release', {
      form: { machines: sid(sim, 'web-04') },
    });
    expect([denied.status, await denied.text()]).toEqual([
      403,
      `You don't have the required permission to release the following machine(s): ${sid(sim, 'web-04')}.`,
    ]);
    const mixed = await call(sim, sim.users.admin, 'POST', 'machines/?op=release', {
      form: { machines: [sid(sim, 'web-05'), sid(sim, 'new-01'), sid(sim, 'k8s-04')] },
    });
    expect([mixed.status, await mixed.text()]).toEqual([
      409,
      `Machine(s) cannot be released in their current state: ${sid(sim, 'new-01')} ('New'), ${sid(sim, 'k8s-04')} ('Rescue mode').`,
    ]);
    // The 409 rolls the request back (MAAS `ATOMIC_REQUESTS`, `maasserver/utils/views.py`): web-05, listed first, is still allocated.
    expect(sim.state.machineByHostname('web-05')).toMatchObject({ status: S.ALLOCATED, owner: 'admin' });
  });

  it('accepts New machines into commissioning', async () => {
    const sim = createSimulator();
    const res = await call(sim, sim.users.admin, 'POST', 'machines/?op=accept', {
      form: { machines: [sid(sim, 'new-01'), sid(sim, 'web-01')] },
    });
    expect((await json<MachineJson[]>(res)).map((m) => [m.hostname, m.status_name])).toEqual([
      ['new-01', 'Commissioning'],
    ]);
    const bad = await call(sim, sim.users.admin, 'POST', 'machines/?op=accept', {
      form: { machines: sid(sim, 'db-01') },
    });
    expect([bad.status, await bad.text()]).toEqual([
      409,
      `Cannot accept node enlistment: node ${sid(sim, 'db-01')} is in state Deployed.`,
    ]);
    const all = await call(sim, sim.users.admin, 'POST', 'machines/?op=accept_all');
    expect((await json<MachineJson[]>(all)).map((m) => m.hostname)).toEqual(['new-02']);
    sim.close();
  });

  it('moves nodes between zones with set_zone (admin)', async () => {
    const sim = createSimulator();
    const res = await call(sim, sim.users.admin, 'POST', 'machines/?op=set_zone', {
      form: { zone: 'zone-b', nodes: [sid(sim, 'web-01')] },
    });
    expect(res.status).toBe(200);
    expect(sim.state.zones.get(sim.state.machineByHostname('web-01')?.zoneId ?? 0)?.name).toBe('zone-b');
    expect(
      (await call(sim, sim.users.operator, 'POST', 'machines/?op=set_zone', { form: { zone: 'zone-b' } }))
        .status,
    ).toBe(403);
  });
});
