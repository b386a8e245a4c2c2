/**
 * Label-based allocation constraints (MAAS `maasserver/node_constraint_filter_forms.py` `nodes_by_storage`,
 * `nodes_by_interface`, `get_storage_constraints_from_string`; `provisioningserver/utils/constraints.py`;
 * `maasserver/api/machines.py` `MachinesHandler.allocate` for `constraints_by_type`, `dry_run` and `verbose`;
 * `src/maasserver/api/tests/test_machines.py` `test_POST_allocate_machine_by_interfaces_dry_run_with_verbose`).
 */
import { describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/sim/index.ts';
import { answer, req, sid } from './helpers.ts';

interface Allocated {
  hostname: string;
  system_id: string;
  status_name: string;
  constraints_by_type: Record<string, unknown>;
}
interface Iface {
  id: number;
  name: string;
}

const allocate = (sim: Simulator, form: Record<string, string | string[]>, who = sim.users.admin) =>
  req(sim, who, 'POST', 'machines/?op=allocate', form);

async function ifaceIds(sim: Simulator, host: string, ...names: string[]): Promise<number[]> {
  const list = (await req(sim, sim.users.admin, 'GET', `nodes/${sid(sim, host)}/interfaces/`)).json<
    Iface[]
  >();
  return names.map((n) => list.find((i) => i.name === n)?.id ?? -1);
}

describe('interfaces=', () => {
  it("allocates a machine with an interface per label (spaces of the VLANs) and reports each label's interfaces", async () => {
    const sim = createSimulator();
    const res = await allocate(sim, { interfaces: 'pxe:space=management;data:space=data,type=physical' });
    expect(res.status, res.text).toBe(200);
    const m = res.json<Allocated>();
    // web-06 and db-02 have NICs on the data VLAN; web-06 costs less (cpu_count + memory/1024).
    expect([m.hostname, m.status_name]).toEqual(['web-06', 'Allocated']);
    const [eno1, eno3, eno4] = await ifaceIds(sim, 'web-06', 'eno1', 'eno3', 'eno4');
    expect(m.constraints_by_type).toEqual({ interfaces: { pxe: [eno1], data: [eno3, eno4] } });
    expect(m.constraints_by_type).not.toHaveProperty('verbose_interfaces');
  });

  it('ORs a repeated key, ANDs different keys, negates not_ keys, and matches names, vids, fabrics and speeds', async () => {
    const sim = createSimulator();
    const dry = async (interfaces: string) => {
      const r = await allocate(sim, { interfaces, dry_run: 'true' });
      return r.status === 200 ? r.json<Allocated>().hostname : r.status;
    };
    expect(await dry('a:fabric=data,name=eno4')).toBe('web-06');
    expect(await dry('a:name=eno4,name=nope')).toBe('web-06');
    expect(await dry('a:name=eno4,not_fabric=data')).toBe(409);
    expect(await dry('a:vid=20')).not.toBe(409);
    expect(await dry('a:fabric_class=25g')).toBe('web-06');
    expect(await dry('a:space=storage,link_speed=1')).not.toBe(409);
    expect(await dry('a:space=storage,link_speed=100000')).toBe(409);
  });

  it("answers dry_run with the machine still Ready, and verbose with every candidate's interfaces by database id", async () => {
    const sim = createSimulator();
    const res = await allocate(sim, { interfaces: 'data:space=data', dry_run: 'true', verbose: 'true' });
    const m = res.json<Allocated>();
    expect(m.status_name).toBe('Ready');
    const verbose = m.constraints_by_type.verbose_interfaces as Record<string, Record<string, number[]>>;
    expect(Object.keys(verbose)).toEqual(['data']);
    const byNode = Object.values(verbose.data ?? {});
    expect(byNode).toHaveLength(2);
    expect(Object.keys(verbose.data ?? {}).every((k) => /^\d+$/.test(k))).toBe(true);
    expect(m.constraints_by_type.verbose_storage).toEqual({});
    expect(sim.control.machine(m.system_id).status).toBe(4);
  });

  it("refuses malformed text with MAAS's messages (one without its closing quote) and an unknown space with a 404", async () => {
    const sim = createSimulator();
    const format = '<label>:<key>=<value>[,<key2>=<value2>[,...]]';
    const cases: [string, string][] = [
      ['space=data', `Malformed constraint: 'space=data' (required format: '${format}')`],
      ['a:space', `Malformed constraint: 'a:space' (required format: '${format}')`],
      ['a:space=x;a:name=y', "Constraint label defined more than once: 'a'"],
      ['a:colour=red', "Unknown interfaces constraint: 'colour"],
    ];
    for (const [text, message] of cases) {
      expect(answer(await allocate(sim, { interfaces: text })), text).toEqual([
        400,
        JSON.stringify({ interfaces: [message] }).replace('":', '": '),
      ]);
    }
    expect(answer(await allocate(sim, { interfaces: 'a:space=mars' }))).toEqual([
      404,
      'No Space matches the given query.',
    ]);
  });

  it('filters the machine list the same way', async () => {
    const sim = createSimulator();
    const list = (await req(sim, sim.users.admin, 'GET', 'machines/?interfaces=d:fabric=data')).json<
      Allocated[]
    >();
    expect(list.map((m) => m.hostname).sort()).toEqual(['db-01', 'db-02', 'web-06']);
  });
});

describe('storage=', () => {
  it('matches the root device first, then unused disks smallest first, and reports the named labels only', async () => {
    const sim = createSimulator();
    // db-02: its LVM layout puts `/` on the logical volume, and it has two spare disks.
    const res = await allocate(sim, { storage: 'root:100,200,spare:300' });
    expect(res.status, res.text).toBe(200);
    const m = res.json<Allocated>();
    expect(m.hostname).toBe('db-02');
    const disks = sim.control.machine(m.system_id).blockDevices;
    const storage = m.constraints_by_type.storage as Record<string, number[]>;
    expect(Object.keys(storage)).toEqual(['root', 'spare']);
    const root = disks.find((d) => d.id === storage.root?.[0]);
    expect([root?.name, root?.filesystem?.mountPoint]).toEqual(['lvroot', '/']);
    const spare = disks.find((d) => d.id === storage.spare?.[0]);
    expect([spare?.type, spare?.partitions, spare?.filesystem]).toEqual(['physical', [], null]);
    expect(spare?.size).toBeGreaterThanOrEqual(300e9);
  });

  it('sizes are GB (10⁹ bytes), tags must all be there, and a `partition` tag matches partitions instead', async () => {
    const sim = createSimulator();
    const none = await allocate(sim, { storage: 'root:100000' });
    expect(none.status).toBe(409);
    const part = await allocate(sim, { storage: 'root:1(partition)', dry_run: 'true' });
    expect(part.status).toBe(200);
    const m = part.json<Allocated>();
    const rootPart = sim.control
      .machine(m.system_id)
      .blockDevices.flatMap((d) => d.partitions)
      .find((p) => p.filesystem?.mountPoint === '/')?.id;
    expect(m.constraints_by_type.storage).toEqual({ root: [`partition:${rootPart}`] });
  });

  it("answers verbose_storage keyed by each candidate's database id", async () => {
    const sim = createSimulator();
    const m = (
      await allocate(sim, { storage: 'root:1', dry_run: 'true', verbose: 'true' })
    ).json<Allocated>();
    const verbose = m.constraints_by_type.verbose_storage as Record<string, Record<string, string>>;
    const entries = Object.entries(verbose);
    expect(entries.length).toBeGreaterThan(3);
    for (const [nodeId, devices] of entries) {
      expect(nodeId).toMatch(/^\d+$/);
      expect(Object.values(devices)).toEqual(['root']);
    }
    expect(m.constraints_by_type.verbose_interfaces).toEqual({});
  });

  it('refuses a malformed storage constraint', async () => {
    const sim = createSimulator();
    expect(answer(await allocate(sim, { storage: 'root:lots' }))).toEqual([
      400,
      '{"storage": ["Malformed storage constraint, \\"root:lots\\"."]}',
    ]);
  });
});
