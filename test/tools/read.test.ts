import type { Client } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { Simulator } from '../../src/sim/index.ts';
import type { MachineDetail } from '../../src/tools/detail.ts';
import type { fleetSummary, machineEvents, machinesList } from '../../src/tools/machines.ts';
import { call, connectClient, makeDeps, simDeps } from '../helpers.ts';

type ListOut = z.infer<typeof machinesList.output>;

let sim: Simulator;
let client: Client;
let close: () => Promise<void>;

beforeEach(async () => {
  const s = simDeps();
  sim = s.sim;
  ({ client, close } = await connectClient(s.deps));
});
afterEach(async () => {
  await close();
  sim.close();
});

describe('machines_list', () => {
  it('lists every machine as a compact row with the total', async () => {
    const { data, text } = await call<ListOut>(client, 'machines_list');
    expect(data.total).toBe(24);
    expect(data.rows).toHaveLength(24);
    expect(data.columns).toEqual([
      'hostname',
      'system_id',
      'status',
      'power',
      'owner',
      'zone',
      'pool',
      'arch',
      'cpus',
      'memory_mib',
      'tags',
    ]);
    const web01 = data.rows.find((r) => r[0] === 'web-01');
    expect(web01?.[2]).toBe('Ready');
    expect(text).toContain('Machines 1–24 of 24:');
    expect(text).toMatch(/web-01 \w{6} Ready/);
  });

  it('pages with limit and offset and says where the next page starts', async () => {
    const first = await call<ListOut>(client, 'machines_list', { limit: 10 });
    expect(first.data).toMatchObject({ total: 24, returned: 10, more: true, next_offset: 10 });
    const last = await call<ListOut>(client, 'machines_list', { limit: 10, offset: 20 });
    expect(last.data).toMatchObject({ total: 24, returned: 4, more: false, next_offset: null });
    const names = new Set([...first.data.rows, ...last.data.rows].map((r) => r[0]));
    expect(names.size).toBe(14);
  });

  it('lets MAAS do the filtering: one request with repeated keys', async () => {
    sim.requests.clear();
    const { data } = await call<ListOut>(client, 'machines_list', {
      status: ['ready', 'Failed deployment'],
      zone: 'zone-a',
    });
    expect(data.rows.map((r) => r[0]).sort()).toEqual(
      ['arm-01', 'db-03', 'gpu-01', 'k8s-03', 'web-01', 'web-02'].sort(),
    );
    expect(data.rows.every((r) => ['Ready', 'Failed deployment'].includes(r[2]) && r[5] === 'zone-a')).toBe(
      true,
    );
    const reqs = sim.requests.entries.filter((e) => e.path === '/MAAS/api/2.0/machines/');
    expect(reqs).toHaveLength(1);
    expect(reqs[0]?.query).toEqual([
      ['status', 'ready'],
      ['status', 'failed_deployment'],
      ['zone', 'zone-a'],
    ]);
  });

  it('accepts one comma-separated string wherever MAAS takes several values', async () => {
    sim.requests.clear();
    const { data } = await call<ListOut>(client, 'machines_list', {
      hostname: 'web-01, web-02,db-01',
      status: 'ready,deployed',
      zone: 'zone-a,zone-b',
      tags: 'compute,-gpu',
    });
    expect(data.rows.map((r) => r[0]).sort()).toEqual(['db-01', 'web-01', 'web-02']);
    const [req] = sim.requests.entries.filter((e) => e.path === '/MAAS/api/2.0/machines/');
    expect(req?.query).toEqual([
      ['status', 'ready'],
      ['status', 'deployed'],
      ['tags', 'compute'],
      ['not_tags', 'gpu'],
      ['hostname', 'web-01'],
      ['hostname', 'web-02'],
      ['hostname', 'db-01'],
      ['zone', 'zone-a'],
      ['zone', 'zone-b'],
    ]);
    const owned = await call<ListOut>(client, 'machines_list', { owner: 'admin,bob' });
    expect(owned.data.total).toBeGreaterThan(0);
    expect(new Set(owned.data.rows.map((r) => r[4]))).toEqual(new Set(['admin', 'bob']));
    const devices = await call<{ rows: { hostname: string }[] }>(client, 'devices_list', {
      hostname: 'sw-core-01,pdu-a1',
    });
    expect(devices.data.rows.map((d) => d.hostname).sort()).toEqual(['pdu-a1', 'sw-core-01']);
    const fleet = await call<{ total: number; by_zone: Record<string, number> }>(client, 'fleet_summary', {
      zone: 'zone-a,zone-b',
    });
    expect(Object.keys(fleet.data.by_zone).sort()).toEqual(['zone-a', 'zone-b']);
  });

  it('maps a status group to simple_status and "-tag" to not_tags', async () => {
    const failed = await call<ListOut>(client, 'machines_list', { status: 'failed' });
    expect(failed.data.rows.map((r) => r[2]).sort()).toEqual([
      'Failed commissioning',
      'Failed deployment',
      'Failed testing',
    ]);
    const notVirtual = await call<ListOut>(client, 'machines_list', { tags: ['-virtual'] });
    const virtual = ['k8s-01', 'k8s-02', 'k8s-03', 'k8s-04', 'lab-02'];
    const shown = notVirtual.data.rows.map((r) => r[0]);
    expect(shown).toHaveLength(24 - virtual.length);
    for (const h of virtual) expect(shown).not.toContain(h);
    expect(notVirtual.data.rows.every((r) => !r[10].includes('virtual'))).toBe(true);
  });

  it('names the accepted values when a status is unknown', async () => {
    const res = await call(client, 'machines_list', { status: 'sleeping' });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('status: "sleeping" is not a MAAS status. Use one of new, commissioning');
  });

  it("passes MAAS's own answer on for an unknown zone", async () => {
    const res = await call(client, 'machines_list', { zone: 'atlantis' });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('No such zone(s): atlantis.');
  });

  it('names the filter and the limit when a filter is too long for a MAAS request, and sends nothing', async () => {
    sim.requests.clear();
    const res = await call(client, 'machines_list', { hostname: 'x'.repeat(1024 * 1024) });
    expect(res.isError).toBe(true);
    expect(res.text).toContain(
      'the hostname value is too long for one MAAS request: 1,048,576 characters, and a MAAS request URL holds about 8,000 — shorten it or split it into several requests',
    );
    expect(res.text).not.toContain('431');
    expect(sim.requests.count({ method: 'GET', pathPrefix: '/MAAS/api/2.0/machines/' })).toBe(0);
  });

  it('says MAAS_URL should end in /MAAS when it was given without it, instead of "Not Found"', async () => {
    const wrong = makeDeps({
      baseUrl: sim.baseUrl.replace(/\/MAAS$/, ''),
      fetch: sim.fetch,
      apiKey: sim.users.admin.apiKey,
    });
    const other = await connectClient(wrong);
    try {
      const res = await call(other.client, 'machines_list');
      expect(res.isError).toBe(true);
      expect(res.text).toContain('MAAS_URL should end in /MAAS');
      expect(res.text).toContain('try MAAS_URL=http://maas.sim:5240/MAAS');
    } finally {
      await other.close();
    }
  });

  it('refuses a limit out of range with the field named', async () => {
    const res = await call(client, 'machines_list', { limit: 5000 });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('limit');
  });
});

describe('machine_get', () => {
  it('finds a machine by hostname, FQDN or system_id with one request each', async () => {
    const byName = await call<MachineDetail>(client, 'machine_get', { machine: 'db-01' });
    const id = byName.data.machine.system_id;
    sim.requests.clear();
    const byId = await call<MachineDetail>(client, 'machine_get', { machine: id });
    expect(sim.requests.count()).toBe(1);
    const byFqdn = await call<MachineDetail>(client, 'machine_get', { machine: byName.data.machine.fqdn });
    expect(byId.data.machine.hostname).toBe('db-01');
    expect(byFqdn.data.machine.system_id).toBe(id);
    expect(byName.data.machine).toMatchObject({ status: 'Deployed', owner: 'admin', power_state: 'on' });
    expect(byName.data.hardware).toBeUndefined();
  });

  it('adds hardware, network, storage and events sections only when asked', async () => {
    const { data, text } = await call<MachineDetail>(client, 'machine_get', {
      machine: 'stor-01',
      detail: ['hardware', 'network', 'storage', 'events'],
    });
    expect(data.hardware?.cpu_speed_mhz).toBeGreaterThan(0);
    expect(data.network?.interfaces.length).toBeGreaterThan(0);
    expect(data.network?.interfaces[0]?.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(data.storage?.disks.length).toBe(4);
    expect(data.events?.length).toBeGreaterThan(0);
    expect(text).toContain('network:');
    expect(text).toContain('storage:');
  });

  it('reads interfaces from their own endpoint on a MAAS 2.9, whose machine JSON has no interface_set', async () => {
    const old = simDeps({ fieldSet: '2.9' });
    const c = await connectClient(old.deps);
    try {
      const { data } = await call<MachineDetail>(c.client, 'machine_get', {
        machine: 'web-01',
        detail: ['network', 'storage'],
      });
      expect(data.network?.interfaces.length).toBeGreaterThan(0);
      expect(data.storage?.disks.length).toBeGreaterThan(0);
      const extra = old.sim.requests.entries.filter((e) => e.path.startsWith('/MAAS/api/2.0/nodes/'));
      expect(extra.map((e) => e.path.split('/').slice(-2)[0])).toEqual(['interfaces']);
    } finally {
      await c.close();
      old.sim.close();
    }
  });

  it('says plainly when no machine matches', async () => {
    const res = await call(client, 'machine_get', { machine: 'nope-99' });
    expect(res.isError).toBe(true);
    expect(res.text).toBe(
      'no machine is "nope-99" (by hostname, FQDN or system_id) among those this MAAS user can see',
    );
  });
});

describe('machine_events', () => {
  it('shows the newest events first and how to page back', async () => {
    const { data } = await call<z.infer<typeof machineEvents.output>>(client, 'machine_events', {
      machine: 'db-03',
      limit: 3,
    });
    expect(data.hostname).toBe('db-03');
    expect(data.events.length).toBeGreaterThan(0);
    const ids = data.events.map((e) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(data.events.some((e) => /fail/i.test(`${e.type} ${e.description}`))).toBe(true);
  });
});

describe('fleet_summary', () => {
  it('counts by status, zone, pool and power and names failed and broken machines', async () => {
    const { data, text } = await call<z.infer<typeof fleetSummary.output>>(client, 'fleet_summary');
    expect(data.total).toBe(24);
    expect(Object.values(data.by_status).reduce((a, b) => a + b, 0)).toBe(24);
    expect(data.needs_attention.map((m) => m.hostname).sort()).toEqual([
      'db-03',
      'edge-01',
      'gpu-02',
      'stor-02',
    ]);
    expect(data.needs_attention.every((m) => m.message.length > 0)).toBe(true);
    expect(data.in_progress.map((m) => m.hostname).sort()).toEqual(['lab-01', 'lab-02']);
    expect(text).toContain('Needs attention:');
  });

  it('narrows to a zone', async () => {
    const { data } = await call<z.infer<typeof fleetSummary.output>>(client, 'fleet_summary', {
      zone: 'zone-a',
    });
    expect(Object.keys(data.by_zone)).toEqual(['zone-a']);
  });
});

describe('inventory tools', () => {
  it('lists zones, pools, tags, subnets, devices and controllers', async () => {
    expect((await call(client, 'zones_list')).text).toContain('zone-a');
    expect((await call(client, 'pools_list')).text).toContain('production');
    expect((await call(client, 'tags_list')).text).toContain('gpu');
    expect((await call(client, 'subnets_list')).text).toContain('10.10.0.0/24');
    const devices = await call<{ rows: { hostname: string }[] }>(client, 'devices_list');
    expect(devices.data.rows.length).toBeGreaterThan(0);
    const ctrl = await call<{ controllers: { hostname: string; kind: string }[] }>(
      client,
      'controllers_list',
    );
    expect(ctrl.data.controllers.map((c) => c.hostname).sort()).toEqual(['maas-ctrl', 'rack-02']);
  });

  it('explains an empty controller list for a MAAS user who is not an admin', async () => {
    const s = simDeps({ user: 'operator' });
    const c = await connectClient(s.deps);
    try {
      const { text } = await call(c.client, 'controllers_list');
      expect(text).toBe('MAAS shows controllers only to admins, and alice is not one');
    } finally {
      await c.close();
      s.sim.close();
    }
  });
});

describe('machine_power_query', () => {
  it("asks each machine's BMC and keeps going when one does not answer", async () => {
    const { data } = await call<{ results: { hostname: string; power: string; error?: string }[] }>(
      client,
      'machine_power_query',
      { machines: ['web-01', 'db-01', 'nope-99'] },
    );
    expect(data.results.map((r) => r.hostname)).toEqual(['web-01', 'db-01', 'nope-99']);
    expect(data.results[0]?.power).toMatch(/^(on|off)$/);
    expect(data.results[2]?.power).toBe('unanswered');
  });
});

describe('controllers_list', () => {
  it('does not ask who the user is when MAAS lists controllers', async () => {
    const res = await call<{ controllers: unknown[] }>(client, 'controllers_list');
    expect(res.data.controllers.length).toBeGreaterThan(0);
    expect(sim.requests.count({ method: 'GET', pathPrefix: '/MAAS/api/2.0/users/' })).toBe(0);
  });
});
