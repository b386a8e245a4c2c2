/** Spaces (MAAS `maasserver/api/spaces.py`): what Juju lists at bootstrap. */
import { describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/sim/index.ts';
import { call, json, type MachineJson, sid } from './helpers.ts';

interface SpaceJson {
  resource_uri: string;
  id: number;
  name: string;
  description: string;
  vlans: { id: number; space: string; fabric: string }[];
  subnets: { cidr: string; space: string; vlan: { id: number } }[];
}

const FIELDS = ['resource_uri', 'id', 'name', 'vlans', 'subnets', 'description'];

describe('spaces', () => {
  it('lists the spaces with their VLANs and subnets, and ends with the undefined pseudo-space while a VLAN has none', async () => {
    const sim = createSimulator();
    const res = await call(sim, sim.users.operator, 'GET', 'spaces/');
    expect(res.status).toBe(200);
    const spaces = await json<SpaceJson[]>(res);
    for (const s of spaces) expect(Object.keys(s)).toEqual(FIELDS);
    expect(spaces.map((s) => [s.id, s.name, s.resource_uri])).toEqual([
      [1, 'management', '/MAAS/api/2.0/spaces/1/'],
      [2, 'storage', '/MAAS/api/2.0/spaces/2/'],
      [3, 'data', '/MAAS/api/2.0/spaces/3/'],
      [4, 'public', '/MAAS/api/2.0/spaces/4/'],
      [-1, 'undefined', '/MAAS/api/2.0/spaces/undefined/'],
    ]);
    expect(spaces.map((s) => s.subnets.map((n) => n.cidr))).toEqual([
      ['10.10.0.0/24', '2001:db8:10::/64', '10.128.0.0/16'],
      ['10.20.0.0/24'],
      ['10.40.0.0/22'],
      ['10.100.0.0/24'],
      ['10.30.0.0/24'],
    ]);
    for (const s of spaces) {
      for (const v of s.vlans) expect(v.space).toBe(s.name);
      for (const n of s.subnets) expect(n.space).toBe(s.name);
      expect(s.subnets.every((n) => s.vlans.some((v) => v.id === n.vlan.id))).toBe(true);
    }
  });

  it("shows a subnet in its VLAN's space wherever it is rendered", async () => {
    const sim = createSimulator();
    const subnets = await json<{ cidr: string; space: string }[]>(
      await call(sim, sim.users.operator, 'GET', 'subnets/'),
    );
    expect(Object.fromEntries(subnets.map((s) => [s.cidr, s.space]))).toMatchObject({
      '10.10.0.0/24': 'management',
      '10.20.0.0/24': 'storage',
      '10.30.0.0/24': 'undefined',
    });
    const m = await json<MachineJson>(
      await call(sim, sim.users.operator, 'GET', `machines/${sid(sim, 'web-01')}/`),
    );
    const links = (m.interface_set as { links: { subnet?: { cidr: string; space: string } }[] }[]).flatMap(
      (i) => i.links,
    );
    expect(links.map((l) => [l.subnet?.cidr, l.subnet?.space])).toContainEqual(['10.20.0.0/24', 'storage']);
  });

  it('reads one space by id or name, the pseudo-space by -1 or "undefined", and 404s the rest', async () => {
    const sim = createSimulator();
    const alice = sim.users.operator;
    expect((await json<SpaceJson>(await call(sim, alice, 'GET', 'spaces/2/'))).name).toBe('storage');
    expect((await json<SpaceJson>(await call(sim, alice, 'GET', 'spaces/storage/'))).id).toBe(2);
    for (const id of ['-1', 'undefined']) {
      const u = await json<SpaceJson>(await call(sim, alice, 'GET', `spaces/${id}/`));
      expect([u.id, u.name, u.vlans.map((v) => v.fabric)]).toEqual([-1, 'undefined', ['fabric-1', 'data']]);
    }
    for (const id of ['99', 'nope']) {
      const res = await call(sim, alice, 'GET', `spaces/${id}/`);
      expect([res.status, await res.text()]).toEqual([404, 'No Space matches the given query.']);
    }
    expect((await call(sim, null, 'GET', 'spaces/')).status).toBe(401);
  });

  it('lets only admins create, update and delete spaces, and never the pseudo-space', async () => {
    const sim = createSimulator();
    const { admin, operator: alice } = sim.users;
    const post = await call(sim, alice, 'POST', 'spaces/', { form: { name: 'dmz' } });
    expect([post.status, await post.text()]).toEqual([403, 'This method is reserved for admin users.']);
    for (const method of ['PUT', 'DELETE']) {
      const res = await call(sim, alice, method, 'spaces/1/', { form: { name: 'x' } });
      expect([res.status, await res.text()], method).toEqual([403, '']);
    }
    for (const [method, verb] of [
      ['PUT', 'modified'],
      ['DELETE', 'deleted'],
    ]) {
      for (const id of ['-1', 'undefined']) {
        const res = await call(sim, admin, method ?? '', `spaces/${id}/`, { form: { name: 'x' } });
        expect([res.status, await res.text()]).toEqual([400, `Space cannot be ${verb}: undefined`]);
      }
    }
    const created = await json<SpaceJson>(
      await call(sim, admin, 'POST', 'spaces/', { form: { name: 'dmz', description: 'Public' } }),
    );
    expect(created).toEqual({
      resource_uri: `/MAAS/api/2.0/spaces/${created.id}/`,
      id: created.id,
      name: 'dmz',
      vlans: [],
      subnets: [],
      description: 'Public',
    });
    const dup = await call(sim, admin, 'POST', 'spaces/', { form: { name: 'storage' } });
    expect([dup.status, await dup.text()]).toEqual([
      400,
      '{"name": ["Space with this Name already exists."]}',
    ]);
    const unnamed = await json<SpaceJson>(await call(sim, admin, 'POST', 'spaces/', { form: {} }));
    expect(unnamed.name).toBe(`space-${unnamed.id}`);
    const renamed = await call(sim, admin, 'PUT', `spaces/${created.id}/`, { form: { name: 'edge' } });
    expect((await json<SpaceJson>(renamed)).name).toBe('edge');
  });

  it('leaves the VLANs of a deleted space in no space, so they show under the pseudo-space', async () => {
    const sim = createSimulator();
    const { admin } = sim.users;
    expect((await call(sim, admin, 'DELETE', 'spaces/storage/')).status).toBe(204);
    const spaces = await json<SpaceJson[]>(await call(sim, admin, 'GET', 'spaces/'));
    expect(spaces.map((s) => s.name)).toEqual(['management', 'data', 'public', 'undefined']);
    expect(spaces[3]?.subnets.map((s) => [s.cidr, s.space])).toEqual([
      ['10.20.0.0/24', 'undefined'],
      ['10.30.0.0/24', 'undefined'],
    ]);
  });

  it('matches allocation subnet constraints by space (MAAS `node_constraint_filter_forms.py`, `space:` specifier)', async () => {
    const sim = createSimulator();
    const alice = sim.users.operator;
    const inStorage = await call(sim, alice, 'POST', 'machines/?op=allocate', {
      form: { subnets: 'space:storage', dry_run: 'true' },
    });
    expect(inStorage.status).toBe(200);
    const outside = await call(sim, alice, 'POST', 'machines/?op=allocate', {
      form: { not_subnets: 'space:management', dry_run: 'true' },
    });
    expect(outside.status).toBe(409);
  });
});
