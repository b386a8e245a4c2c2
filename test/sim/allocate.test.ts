import { describe, expect, it } from 'vitest';
import { SimStatus as S } from '../../src/sim/index.ts';
import { createSimulator } from '../../src/sim/simulator.ts';
import { call, force, json, type MachineJson, sid } from './helpers.ts';

type Form = Record<string, string | string[]> | [string, string][];

function allocate(sim: ReturnType<typeof createSimulator>, form: Form, who = sim.users.operator) {
  return call(sim, who, 'POST', 'machines/?op=allocate', { form });
}

async function pick(form: Form): Promise<string> {
  const sim = createSimulator();
  const res = await allocate(sim, form);
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return (await json<MachineJson>(res)).hostname;
}

describe('allocate', () => {
  it('allocates the cheapest Ready machine to the caller', async () => {
    const sim = createSimulator();
    const res = await allocate(sim, { agent_name: 'juju', comment: 'for testing' });
    const m = await json<MachineJson>(res);
    expect(m).toMatchObject({
      hostname: 'edge-02',
      status: 10,
      status_name: 'Allocated',
      owner: 'alice',
      constraints_by_type: {},
    });
    expect(sim.state.machine(m.system_id)?.agentName).toBe('juju');
    expect((await json<MachineJson>(await allocate(sim, {}))).hostname).toBe('web-01');
  });

  it('orders candidates by cpu_count + memory/1024, then by id', async () => {
    expect(await pick({ tags: 'ssd' })).toBe('web-01');
    expect(await pick({ cpu_count: '8' })).toBe('web-06');
    expect(await pick({ cpu_count: '8', mem: '32768' })).toBe('stor-01');
    expect(await pick({ cpu_count: '16' })).toBe('arm-01');
    expect(await pick({ cpu_count: '16', arch: 'amd64' })).toBe('db-02');
    expect(await pick({ mem: '100000' })).toBe('gpu-01');
  });

  it('matches tags (all of), not_tags (none of), zone, pool, name and system_id', async () => {
    expect(await pick({ tags: ['ssd', 'compute'] })).toBe('web-01');
    expect(await pick({ tags: 'ssd,compute' })).toBe('web-01');
    expect(await pick({ tags: 'ssd', not_tags: 'compute' })).toBe('db-02');
    expect(await pick({ zone: 'zone-b' })).toBe('edge-02');
    expect(await pick({ zone: 'zone-b', not_tags: 'edge' })).toBe('web-06');
    expect(await pick({ not_in_zone: ['zone-b', 'zone-a'] })).toBe('stor-01');
    expect(await pick({ pool: 'production', tags: 'gpu' })).toBe('gpu-01');
    expect(await pick({ not_in_pool: ['staging', 'production'] })).toBe('k8s-03');
    expect(await pick({ name: 'web-02' })).toBe('web-02');
    expect(await pick({ name: 'web-02.maas' })).toBe('web-02');
    const sim = createSimulator();
    expect((await json<MachineJson>(await allocate(sim, { system_id: sid(sim, 'db-02') }))).hostname).toBe(
      'db-02',
    );
  });

  it('matches a storage constraint and reports the chosen disks in constraints_by_type', async () => {
    const sim = createSimulator();
    // The first constraint is the disk holding `/`: gpu-01's flat layout puts it on nvme0n1 (stor-01 is blank).
    const m = await json<MachineJson>(await allocate(sim, { storage: 'root:1000(nvme)' }));
    expect(m.hostname).toBe('gpu-01');
    const boot = sim.control.machine('gpu-01').blockDevices[0]?.id;
    expect(m.constraints_by_type).toEqual({ storage: { root: [boot] } });
  });

  it('never picks locked, owned or non-Ready machines', async () => {
    const sim = createSimulator();
    for (const name of ['web-03', 'web-04', 'web-05', 'k8s-01', 'gpu-02', 'new-01']) {
      const res = await allocate(sim, { name }, sim.users.admin);
      expect(res.status, name).toBe(409);
    }
  });

  it('answers the three 409 texts exactly', async () => {
    const sim = createSimulator({ machines: 1 });
    force(sim, 'web-01', S.DEPLOYED, 'admin');
    const none = await allocate(sim, {});
    expect([none.status, await none.text()]).toEqual([409, 'No machine available.']);
    const bySid = await allocate(sim, { system_id: sid(sim, 'web-01') });
    expect(await bySid.text()).toBe(`No machine with system ID ${sid(sim, 'web-01')} available.`);
    const byName = await allocate(sim, { name: 'host-x' });
    expect(byName.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await byName.text()).toBe(
      `No available machine matches constraints: [('name', ['host-x'])] (resolved to "name=host-x")`,
    );
    const several = await allocate(sim, [
      ['zone', 'zone-b'],
      ['cpu_count', '4'],
      ['tags', 'gpu'],
      ['tags', 'ssd'],
      ['agent_name', 'juju'],
    ]);
    expect(await several.text()).toBe(
      `No available machine matches constraints: [('zone', ['zone-b']), ('cpu_count', ['4']), ('tags', ['gpu', 'ssd']), ('agent_name', ['juju'])] (resolved to "cpu_count=4.0 tags=gpu,ssd zone=zone-b")`,
    );
  });

  it('dry_run chooses without allocating', async () => {
    const sim = createSimulator();
    const dry = await json<MachineJson>(await allocate(sim, { dry_run: 'true' }));
    expect(dry).toMatchObject({ hostname: 'edge-02', status_name: 'Ready', owner: null });
    expect(sim.state.machine(dry.system_id)?.status).toBe(S.READY);
    const verbose = await json<MachineJson>(
      await allocate(sim, { dry_run: 'yes', verbose: 'true', storage: '10' }),
    );
    expect(verbose.constraints_by_type).toMatchObject({
      verbose_storage: expect.any(Object),
      verbose_interfaces: {},
    });
  });

  it("rejects bad input with MAAS's 400 texts", async () => {
    const sim = createSimulator();
    const cases: [Form, string][] = [
      [{ foo: 'bar' }, '{"foo": ["No such constraint."]}'],
      [{ ephemeral_deploy: 'true' }, '{"ephemeral_deploy": ["No such constraint."]}'],
      [{ tags: ['nope', 'gpu', 'nada'] }, `{"tags": ["No such tag(s): 'nope', 'nada'."]}`],
      [{ arch: 'sparc' }, '{"arch": ["Architecture not recognised."]}'],
      [{ cpu_count: 'lots' }, '{"cpu_count": ["Invalid CPU count: number required."]}'],
      [{ mem: 'much' }, '{"mem": ["Invalid memory: number of MiB required."]}'],
      [{ zone: 'mars' }, '{"zone": ["No such zone(s): mars."]}'],
      [{ pool: 'deep' }, '{"pool": ["No such pool(s): deep."]}'],
    ];
    for (const [form, body] of cases) {
      const res = await allocate(sim, form);
      expect([res.status, await res.text()], JSON.stringify(form)).toEqual([400, body]);
    }
    const dry = await allocate(sim, { dry_run: 'maybe' });
    expect([dry.status, await dry.text()]).toEqual([
      400,
      "Invalid dry_run: Value should be 'true' or 'false'",
    ]);
  });
});
