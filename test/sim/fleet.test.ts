import { describe, expect, it } from 'vitest';
import { CURATED_HOSTNAMES, SimStatus as S, statusLabel } from '../../src/sim/index.ts';
import { createSimulator } from '../../src/sim/simulator.ts';
import { call, json, type MachineJson, sid } from './helpers.ts';

async function listText(sim: ReturnType<typeof createSimulator>): Promise<string> {
  return (await call(sim, sim.users.admin, 'GET', 'machines/')).text();
}

describe('seeded fleet', () => {
  it('is byte-identical for the same seed and size, and differs for another seed', async () => {
    const a = await listText(createSimulator({ seed: 7 }));
    const b = await listText(createSimulator({ seed: 7 }));
    const c = await listText(createSimulator({ seed: 8 }));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    const big1 = createSimulator({ machines: 300, seed: 3 });
    const big2 = createSimulator({ machines: 300, seed: 3 });
    expect(await listText(big1)).toBe(await listText(big2));
  });

  it('pins the curated hostnames and states others rely on', () => {
    const sim = createSimulator();
    const status = (h: string) => statusLabel(sim.state.machineByHostname(h)?.status ?? S.NEW);
    expect(CURATED_HOSTNAMES).toHaveLength(24);
    expect([...sim.state.machines()].map((m) => m.hostname)).toEqual(CURATED_HOSTNAMES);
    const expected: Record<string, string> = {
      'web-01': 'Ready',
      'web-02': 'Ready',
      'web-03': 'Deployed',
      'web-04': 'Deployed',
      'web-05': 'Allocated',
      'web-06': 'Ready',
      'db-01': 'Deployed',
      'db-02': 'Ready',
      'db-03': 'Failed deployment',
      'gpu-01': 'Ready',
      'gpu-02': 'Broken',
      'stor-01': 'Ready',
      'stor-02': 'Failed commissioning',
      'k8s-01': 'Deployed',
      'k8s-02': 'Deployed',
      'k8s-03': 'Ready',
      'k8s-04': 'Rescue mode',
      'new-01': 'New',
      'new-02': 'New',
      'edge-01': 'Failed testing',
      'edge-02': 'Ready',
      'lab-01': 'Commissioning',
      'lab-02': 'Deploying',
    };
    for (const [h, s] of Object.entries(expected)) expect(status(h), h).toBe(s);
    const m = (h: string) => sim.state.machineByHostname(h);
    expect(m('web-03')?.locked).toBe(true);
    expect([m('web-04')?.owner, m('web-05')?.owner, m('db-01')?.owner]).toEqual(['admin', 'admin', 'admin']);
    expect([m('k8s-01')?.owner, m('k8s-02')?.owner]).toEqual(['bob', 'bob']);
    expect(m('gpu-01')?.tags).toContain('gpu');
    expect(m('stor-01')?.tags).toEqual(['storage', 'nvme']);
    expect(m('stor-01')?.blockDevices.filter((d) => d.type === 'physical')).toHaveLength(4);
    expect(m('gpu-02')?.errorDescription).not.toBe('');
    expect(m('edge-02')?.powerType).toBe('manual');
    expect(m('arm-01')?.architecture).toBe('arm64/generic');
    const fewer = createSimulator({ machines: 5 });
    expect([...fewer.state.machines()].map((n) => n.hostname)).toEqual(CURATED_HOSTNAMES.slice(0, 5));
  });

  it('generates node-NNNNN machines beyond the curated 24 in a mix of statuses', () => {
    const sim = createSimulator({ machines: 500 });
    const generated = [...sim.state.machines()].slice(24);
    expect(generated[0]?.hostname).toBe('node-00025');
    const statuses = new Set(generated.map((n) => n.status));
    expect(statuses.size).toBeGreaterThan(6);
    expect(statuses.has(S.READY) && statuses.has(S.DEPLOYED)).toBe(true);
    expect(new Set([...sim.state.nodes.keys()]).size).toBe(sim.state.nodes.size);
  });

  it('renders a typical machine at 15-35 KB with no power password or user_data anywhere', async () => {
    const sim = createSimulator();
    await call(sim, sim.users.admin, 'POST', `machines/${sid(sim, 'web-02')}/?op=deploy`, {
      form: { user_data: btoa('#cloud-config\npassword: hunter2-secret\n') },
    });
    for (const h of ['web-01', 'web-02', 'db-01', 'stor-01', 'k8s-01', 'gpu-01']) {
      const text = await (await call(sim, sim.users.admin, 'GET', `machines/${sid(sim, h)}/`)).text();
      expect(text.length, h).toBeGreaterThanOrEqual(15_000);
      expect(text.length, h).toBeLessThanOrEqual(35_000);
      const n = sim.state.machineByHostname(h);
      for (const secret of Object.values(n?.powerParameters ?? {})) {
        if (secret.length >= 12) expect(text).not.toContain(secret);
      }
      expect(text).not.toContain('power_pass');
      expect(text).not.toContain('power_parameters');
      expect(text).not.toContain('user_data');
    }
    const listed = await listText(sim);
    expect(listed).not.toContain(btoa('#cloud-config\npassword: hunter2-secret\n'));
    sim.close();
  });

  it('emits the 80 fields of MAAS 3.7.3 plus resource_uri, and the 70 of 2.9 on request', async () => {
    const sim = createSimulator();
    const m = await json<MachineJson>(
      await call(sim, sim.users.admin, 'GET', `machines/${sid(sim, 'db-01')}/`),
    );
    expect(Object.keys(m)).toHaveLength(81);
    expect(m).toMatchObject({
      node_type: 0,
      node_type_name: 'Machine',
      domain: { name: 'maas', is_default: true },
      fqdn: 'db-01.maas',
      zone: { name: 'zone-a', resource_uri: '/MAAS/api/2.0/zones/zone-a/' },
      pool: { name: 'production', resource_uri: '/MAAS/api/2.0/resourcepool/1/' },
      pod: null,
      disable_ipv4: false,
      is_dpu: false,
      resource_uri: `/MAAS/api/2.0/machines/${sid(sim, 'db-01')}/`,
    });
    expect(Object.keys(m.hardware_info as object)).toHaveLength(18);
    expect(m).not.toHaveProperty('constraints_by_type');
    const old = createSimulator({ fieldSet: '2.9' });
    const m29 = await json<MachineJson>(
      await call(old, old.users.admin, 'GET', `machines/${sid(old, 'db-01')}/`),
    );
    expect(Object.keys(m29)).toHaveLength(71);
    expect(m29).toHaveProperty('iscsiblockdevice_set');
    for (const k of [
      'interface_set',
      'workload_annotations',
      'is_dpu',
      'error_description',
      'enable_hw_sync',
    ]) {
      expect(m29).not.toHaveProperty(k);
    }
  });

  it('renders storage as a Python float in MB, including 0.0', async () => {
    const sim = createSimulator();
    const text = await (await call(sim, sim.users.admin, 'GET', `machines/${sid(sim, 'new-01')}/`)).text();
    expect(text).toContain('"storage": 0.0,');
    const db = await json<MachineJson>(
      await call(sim, sim.users.admin, 'GET', `machines/${sid(sim, 'db-01')}/`),
    );
    const bytes =
      sim.state
        .machineByHostname('db-01')
        ?.blockDevices.filter((d) => d.type === 'physical')
        .reduce((s, d) => s + d.size, 0) ?? 0;
    expect(db.storage).toBeCloseTo(bytes / 1e6, 3);
  });

  it('seeds controllers, devices and networks', () => {
    const sim = createSimulator({ machines: 0 });
    const kinds = [...sim.state.nodes.values()].map((n) => `${n.kind}:${n.hostname}`);
    expect(kinds).toEqual([
      'region+rack:maas-ctrl',
      'rack:rack-02',
      'device:sw-core-01',
      'device:sw-tor-b1',
      'device:pdu-a1',
      'device:kvm-console-01',
    ]);
    expect([...sim.state.subnets.values()].map((s) => s.cidr)).toContain('2001:db8:10::/64');
  });

  it('gives machines several disks, some laid out (flat, LVM, data disks) and some blank, and some BIOS boot', () => {
    const sim = createSimulator({ machines: 500 });
    const m = (h: string) => sim.control.machine(h);
    expect(m('db-02').groups.map((g) => [g.type, g.name])).toEqual([['lvm-vg', 'vgroot']]);
    expect(m('stor-01').blockDevices.map((d) => d.partitionTableType)).toEqual([null, null, null, null]);
    expect(
      m('db-01')
        .blockDevices.slice(1)
        .map((d) => d.filesystem?.mountPoint),
    ).toEqual(['/var/lib/postgresql', '/srv/backup', '/']);
    expect(m('edge-02').biosBootMethod).toBe('pxe');
    const generated = [...sim.state.machines()].slice(24).filter((n) => n.blockDevices.length > 0);
    const kinds = new Set(
      generated.map((n) =>
        n.groups.length ? 'lvm' : n.blockDevices[0]?.partitionTableType ? 'flat' : 'blank',
      ),
    );
    expect(kinds).toEqual(new Set(['lvm', 'flat', 'blank']));
    expect(generated.some((n) => n.biosBootMethod === 'pxe')).toBe(true);
    expect(generated.some((n) => n.blockDevices.length >= 3)).toBe(true);
  });

  it('seeds NIC pairs on one VLAN, ready to bond, with only a LINK_UP link', () => {
    const sim = createSimulator();
    for (const host of ['web-06', 'db-02']) {
      const pair = sim.control.machine(host).interfaces.slice(2);
      expect(pair.map((i) => [i.name, i.vlanId, i.links.map((l) => l.mode)])).toEqual([
        ['eno3', 5004, ['link_up']],
        ['eno4', 5004, ['link_up']],
      ]);
    }
  });

  it('seeds a second DNS domain with a name and a CNAME, and IP ranges on the subnets', () => {
    const sim = createSimulator({ machines: 0 });
    expect([...sim.state.domains.values()].map((d) => [d.name, d.isDefault])).toEqual([
      ['maas', true],
      ['lab.example', false],
    ]);
    expect([...sim.state.dnsRecords.values()].map((r) => r.rrtype)).toEqual(['CNAME']);
    expect([...sim.state.ipRanges.values()].map((r) => r.type)).toContain('dynamic');
  });
});
