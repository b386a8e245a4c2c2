import { describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/sim/simulator.ts';
import { call, json, type MachineJson, sid } from './helpers.ts';

async function hostnames(
  sim: ReturnType<typeof createSimulator>,
  query: string,
  who = sim.users.admin,
): Promise<string[]> {
  const res = await call(sim, who, 'GET', `machines/${query}`);
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return (await json<MachineJson[]>(res)).map((m) => m.hostname);
}

/** Counts top-level array elements in a streamed JSON body without holding it as one string. */
async function countElements(body: ReadableStream<Uint8Array>): Promise<number> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let count = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let i = 0; i < value.length; i++) {
      const c = value[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) {
        if (depth === 1 && c === 0x7b) count++;
        depth++;
      } else if (c === 0x7d || c === 0x5d) depth--;
    }
  }
  expect(depth).toBe(0);
  return count;
}

describe('machine list', () => {
  const sim = createSimulator();

  it('lists every machine in id order for an admin', async () => {
    const all = await hostnames(sim, '');
    expect(all).toHaveLength(24);
    expect(all.slice(0, 3)).toEqual(['web-01', 'web-02', 'web-03']);
  });

  it("hides other users' machines from a non-admin", async () => {
    const alice = await hostnames(sim, '', sim.users.operator);
    expect(alice).not.toContain('k8s-01');
    expect(alice).not.toContain('web-04');
    expect(alice).toContain('web-01');
    const bob = await hostnames(sim, '', sim.users.other);
    expect(bob).toContain('k8s-01');
  });

  it('filters by status, simple_status and their negations', async () => {
    expect(await hostnames(sim, '?status=deployed')).toEqual([
      'web-03',
      'web-04',
      'db-01',
      'k8s-01',
      'k8s-02',
    ]);
    expect(await hostnames(sim, '?status=new&status=broken')).toEqual(['gpu-02', 'new-01', 'new-02']);
    expect(await hostnames(sim, '?simple_status=failed')).toEqual(['db-03', 'stor-02', 'edge-01']);
    const notReady = await hostnames(sim, '?not_status=ready');
    expect(notReady).not.toContain('web-01');
    expect(notReady).toHaveLength(15);
  });

  it('filters by hostname, id, mac, zone, pool, tags, arch, owner, power, cpu and memory', async () => {
    expect(await hostnames(sim, '?hostname=db-01&hostname=db-02')).toEqual(['db-01', 'db-02']);
    expect(await hostnames(sim, `?id=${sid(sim, 'gpu-01')}`)).toEqual(['gpu-01']);
    expect(await hostnames(sim, `?system_id=${sid(sim, 'gpu-01')}`)).toEqual(['gpu-01']);
    expect((await hostnames(sim, `?not_id=${sid(sim, 'gpu-01')}`)).length).toBe(23);
    const mac = sim.state.machineByHostname('stor-01')?.interfaces[1]?.mac.toUpperCase();
    expect(await hostnames(sim, `?mac_address=${mac}`)).toEqual(['stor-01']);
    expect(await hostnames(sim, '?tags=gpu')).toEqual(['gpu-01', 'gpu-02']);
    expect(await hostnames(sim, '?tags=storage&tags=nvme')).toEqual(['stor-01']);
    const notVirtual = await hostnames(sim, '?not_tags=virtual');
    expect(notVirtual).toHaveLength(19);
    expect(notVirtual.some((h) => h.startsWith('k8s'))).toBe(false);
    expect(await hostnames(sim, '?arch=arm64')).toEqual(['arm-01']);
    expect(await hostnames(sim, '?owner=bob')).toEqual(['k8s-01', 'k8s-02']);
    expect(await hostnames(sim, '?zone=default&pool=staging&simple_status=ready')).toEqual(['stor-01']);
    const defaultZone = await hostnames(sim, '?not_in_zone=zone-a&not_in_zone=zone-b');
    expect(
      defaultZone.every((h) => ['stor-01', 'stor-02', 'new-01', 'new-02', 'lab-01', 'lab-02'].includes(h)),
    ).toBe(true);
    expect(defaultZone).toEqual(['stor-01', 'stor-02', 'new-01', 'new-02', 'lab-01', 'lab-02']);
    expect(await hostnames(sim, '?not_in_pool=default&not_in_pool=staging&status=ready')).toEqual([
      'web-01',
      'web-02',
      'db-02',
      'gpu-01',
    ]);
    expect(await hostnames(sim, '?cpu_count=32')).toEqual(['gpu-01', 'gpu-02']);
    expect(await hostnames(sim, '?mem=65536')).toEqual(['db-01', 'db-02', 'gpu-01', 'gpu-02']);
    expect(await hostnames(sim, '?power_state=on&owner=admin&status=deployed')).toEqual([
      'web-03',
      'web-04',
      'db-01',
    ]);
    expect(await hostnames(sim, '?agent_name=k8s-autoscaler')).toEqual(['k8s-01', 'k8s-02']);
    expect((await hostnames(sim, '?domain=maas')).length).toBe(24);
    expect(await hostnames(sim, '?comment=ignored&hostname=web-01')).toEqual(['web-01']);
  });

  it("rejects unknown parameters and unknown names with MAAS's field errors", async () => {
    const cases: [string, string][] = [
      ['?colour=red', '{"colour": ["No such constraint."]}'],
      ['?zone=mars', '{"zone": ["No such zone(s): mars."]}'],
      ['?not_in_zone=mars&not_in_zone=venus', '{"not_in_zone": ["No such zone(s): mars, venus."]}'],
      ['?pool=deep', '{"pool": ["No such pool(s): deep."]}'],
      ['?tags=a&tags=b', `{"tags": ["No such tag(s): 'a', 'b'."]}`],
      [
        '?status=sleeping',
        '{"status": ["Select a valid choice. sleeping is not one of the available choices."]}',
      ],
      ['?mac_address=nope', `{"mac_address": ["'nope' is not a valid MAC address."]}`],
      ['?arch=sparc', '{"arch": ["Architecture not recognised."]}'],
    ];
    for (const [q, body] of cases) {
      const res = await call(sim, sim.users.admin, 'GET', `machines/${q}`);
      expect([res.status, await res.text()], q).toEqual([400, body]);
    }
  });

  it("lists only the caller's Allocated machines for list_allocated", async () => {
    expect(await hostnames(sim, '?op=list_allocated')).toEqual(['web-05']);
    expect(await hostnames(sim, '?op=list_allocated', sim.users.operator)).toEqual([]);
  });

  it('answers is_registered for known and unknown MACs', async () => {
    const mac = sim.state.machineByHostname('web-01')?.interfaces[0]?.mac;
    expect(
      await json(await call(sim, sim.users.operator, 'GET', `machines/?op=is_registered&mac_address=${mac}`)),
    ).toBe(true);
    expect(
      await json(
        await call(
          sim,
          sim.users.operator,
          'GET',
          'machines/?op=is_registered&mac_address=00:11:22:33:44:55',
        ),
      ),
    ).toBe(false);
  });

  it('streams a 10,000-machine list element by element', async () => {
    const big = createSimulator({ machines: 10_000 });
    expect([...big.state.machines()]).toHaveLength(10_000);
    expect(big.state.machineByHostname('node-10000')).toBeDefined();
    const res = await call(big, big.users.admin, 'GET', 'machines/');
    expect(res.status).toBe(200);
    if (!res.body) throw new Error('no body');
    expect(await countElements(res.body)).toBe(10_000);
    big.close();
  });

  it('renders the streamed list byte-identical to a whole-array render', async () => {
    const res = await call(sim, sim.users.admin, 'GET', 'machines/?zone=zone-a');
    const text = await res.text();
    expect(text).toBe(
      JSON.stringify(JSON.parse(text), null, 4).replace(/"storage": (\d+),/g, '"storage": $1.0,'),
    );
    const empty = await call(sim, sim.users.admin, 'GET', 'machines/?hostname=nope');
    expect(await empty.text()).toBe('[]');
  });
});
