/**
 * Network plans against the simulator's machines: every shape applied and read back as previewed, the same request
 * again changes nothing and says so, refusals name what is wrong and what to do, and a call failing part-way leaves
 * a machine the same request finishes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyNetworkPlan, describeNetworkStep } from '../../src/core/network-apply.ts';
import { networkRequestProblems, planNetwork } from '../../src/core/network-plan.ts';
import type { NetworkRequest } from '../../src/core/network-spec.ts';
import { type NetworkTree, networkTreeFromMaas, renderNetworkTree } from '../../src/core/network-tree.ts';
import { getMachineConfig } from '../../src/maas/machine-config.ts';
import { type SimHttp, simHttp } from './fixtures.ts';

let s: SimHttp;
beforeEach(() => {
  s = simHttp();
});
afterEach(() => s.close());

async function plan(hostname: string, req: NetworkRequest) {
  return planNetwork(await s.networkHost(hostname), await s.world(), req);
}

async function readTree(hostname: string): Promise<NetworkTree> {
  const m = await getMachineConfig(s.http, s.sid(hostname));
  return networkTreeFromMaas(m.interface_set, m.default_gateways);
}

/** Interfaces by name; a static link MAAS picked an address for compares equal to the plan's "MAAS picks". */
function comparable(t: NetworkTree, picked = false) {
  return [...t.interfaces]
    .map((i) => ({
      ...i,
      links: i.links.map((l) => ({ ...l, ip: picked && l.mode === 'static' && l.ip ? 'picked' : l.ip })),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function configure(hostname: string, req: NetworkRequest) {
  const p = await plan(hostname, req);
  expect(p.problems).toEqual([]);
  const host = await s.networkHost(hostname);
  const r = await applyNetworkPlan(s.http, s.sid(hostname), host.interfaces, p.steps);
  expect(r.failed, r.failed?.error).toBeUndefined();
  return p;
}

const seedBond: NetworkRequest = {
  bonds: [
    {
      name: 'bond0',
      interfaces: ['eno3', 'eno4'],
      mode: '802.3ad',
      mtu: 9000,
      lacp_rate: 'fast',
      xmit_hash_policy: 'layer3+4',
    },
  ],
  interfaces: [
    {
      name: 'bond0',
      subnet: '10.40.0.0/22',
      ip_mode: 'static',
      ip_address: '10.40.0.10',
      default_gateway: true,
    },
  ],
};

describe('network shapes, applied, are what the preview showed', () => {
  it('an 802.3ad bond with LACP rate, hash policy and MTU 9000, a static address and the default gateway', async () => {
    const p = await configure('db-02', seedBond);
    expect(p.steps.map(describeNetworkStep)).toEqual([
      'create bond bond0 (802.3ad, lacp fast, hash layer3+4, MTU 9000) on eno3, eno4',
      'link bond0 static 10.40.0.10 on 10.40.0.0/22, default gateway',
    ]);
    const after = await readTree('db-02');
    expect(comparable(after)).toEqual(comparable(p.tree));
    expect(renderNetworkTree(after).slice(0, 3)).toEqual([
      'bond0 (bond 802.3ad lacp fast hash layer3+4, data untagged, MTU 9000): static 10.40.0.0/22 10.40.0.10 (default gateway)',
      expect.stringMatching(/^├─ member eno3 /),
      expect.stringMatching(/^├─ member eno4 /),
    ]);
  });

  it('a VLAN interface on a bond, auto, dhcp and link_up links, and a static address MAAS picks', async () => {
    const p = await configure('db-02', {
      bonds: [{ name: 'bond0', interfaces: ['eno3', 'eno4'], mode: 'active-backup' }],
      vlans: [{ parent: 'bond0', vid: 100 }],
      interfaces: [
        { name: 'bond0', ip_mode: 'link_up' },
        { name: 'bond0.100', subnet: '10.100.0.0/24', ip_mode: 'static', default_gateway: true },
        { name: 'eno1', subnet: '10.10.0.0/24', ip_mode: 'dhcp' },
        { name: 'eno2', subnet: '10.20.0.0/24', ip_mode: 'auto' },
      ],
    });
    expect(comparable(await readTree('db-02'), true)).toEqual(
      comparable({
        interfaces: p.tree.interfaces.map((i) => ({
          ...i,
          links: i.links.map((l) => (l.mode === 'static' ? { ...l, ip: 'picked' } : l)),
        })),
      }),
    );
  });

  it('configuring what is already there changes nothing and says so', async () => {
    await configure('db-02', { ...seedBond, vlans: [{ parent: 'bond0', vid: 100 }] });
    const again = await plan('db-02', { ...seedBond, vlans: [{ parent: 'bond0', vid: 100 }] });
    expect(again.problems).toEqual([]);
    expect(again.steps).toEqual([]);
    expect(again.unchanged).toEqual([
      'bond bond0 (802.3ad on eno3, eno4)',
      'VLAN interface bond0.100',
      'bond0 links (static 10.40.0.0/22 10.40.0.10)',
    ]);
  });

  it('brings an existing bond to new settings with one update, and moves the default gateway', async () => {
    await configure('db-02', seedBond);
    const p = await configure('db-02', {
      bonds: [
        { name: 'bond0', interfaces: ['eno3', 'eno4'], mode: 'balance-xor', xmit_hash_policy: 'layer2+3' },
      ],
      interfaces: [{ name: 'eno1', subnet: '10.10.0.0/24', ip_mode: 'auto', default_gateway: true }],
    });
    expect(p.steps.map(describeNetworkStep)).toEqual([
      'update bond0: mode balance-xor, xmit_hash_policy layer2+3',
      'route the default gateway through eno1 (10.10.0.0/24)',
    ]);
    const after = await readTree('db-02');
    expect(comparable(after)).toEqual(comparable(p.tree));
    expect(after.interfaces.find((i) => i.name === 'bond0')?.links[0]?.default_gateway).toBe(false);
  });

  it('replaces an interface’s links with what is asked, keeping those already right', async () => {
    const p = await configure('web-01', {
      interfaces: [
        { name: 'eno1', subnet: '2001:db8:10::/64', ip_mode: 'auto' },
        { name: 'eno1', subnet: '10.10.0.0/24', ip_mode: 'static', ip_address: '10.10.0.150' },
        { name: 'eno2', ip_mode: 'link_up', mtu: 9000 },
      ],
    });
    expect(p.steps.map(describeNetworkStep)).toEqual([
      "remove eno1's link auto 10.10.0.0/24",
      'link eno1 static 10.10.0.150 on 10.10.0.0/24',
      'update eno2: mtu 9000',
      "remove eno2's link static 10.20.0.0/24 10.20.0.100",
    ]);
    expect(comparable(await readTree('web-01'))).toEqual(comparable(p.tree));
  });
});

describe('refusals, before anything is written', () => {
  it('names unknown interfaces, members on different VLANs, subnets on another VLAN, and what to do', async () => {
    const p = await plan('web-06', {
      bonds: [
        { name: 'bond0', interfaces: ['eno1', 'eno3'] },
        { name: 'bond1', interfaces: ['eno9'] },
      ],
      interfaces: [
        { name: 'eno2', subnet: '10.40.0.0/22', ip_mode: 'static' },
        { name: 'eno3', subnet: '10.100.0.0/24', ip_mode: 'auto' },
        { name: 'eno4.300', ip_mode: 'dhcp' },
      ],
    });
    expect(p.problems).toEqual([
      'bond bond0: its members are on different VLANs (eno1: fabric-0 untagged, eno3: data untagged); MAAS bonds interfaces on one VLAN',
      'bond bond1: eno9 is not an interface of web-06 (it has eno1, eno2, eno3, eno4)',
      'eno2: 10.40.0.0/22 is on data untagged but eno2 is on fabric-0 VLAN 20',
      'eno3: 10.100.0.0/24 is on data VLAN 100 but eno3 is on data untagged; link it on a VLAN interface: vlans [{"parent": "eno3", "vid": 100}] and interfaces name eno3.100',
      'eno4.300 is not an interface of web-06 (to make it, add vlans: [{"parent": "eno4", "vid": 300}]) (it has eno1, eno2, eno3, eno4)',
    ]);
  });

  it('checks a static address: inside the subnet, not its gateway or network address, and free', async () => {
    const at = async (ip: string) =>
      (
        await plan('db-02', {
          interfaces: [{ name: 'eno2', subnet: '10.20.0.0/24', ip_mode: 'static', ip_address: ip }],
        })
      ).problems;
    expect(await at('10.21.0.5')).toEqual(['eno2: 10.21.0.5 is not in 10.20.0.0/24']);
    expect(await at('10.20.0.1')).toEqual(["eno2: 10.20.0.1 is 10.20.0.0/24's gateway"]);
    expect(await at('10.20.0.0')).toEqual([
      "eno2: 10.20.0.0 is 10.20.0.0/24's own network or broadcast address",
    ]);
    expect(await at('10.20.0.101')).toEqual([
      'eno2: 10.20.0.101 is in use (web-02); pick a free address in 10.20.0.0/24 or leave ip_address out',
    ]);
    expect(await at('10.20.0.107')).toEqual([]);
    expect(await at('ten')).toEqual(['eno2: ip_address ten is not an IP address']);
  });

  it('refuses a VLAN the fabric does not have, a member already bonded, a bond member’s link and MTU clashes', async () => {
    await configure('db-02', seedBond);
    const p = await plan('db-02', {
      bonds: [
        { name: 'bond1', interfaces: ['eno4'] },
        { name: 'eno1', interfaces: ['eno2'] },
      ],
      vlans: [
        { parent: 'bond0', vid: 300 },
        { parent: 'eno3', vid: 100 },
        { parent: 'bond0', vid: 100, mtu: 9000 },
      ],
      interfaces: [
        { name: 'eno3', ip_mode: 'dhcp' },
        { name: 'bond0', mtu: 1500 },
      ],
    });
    expect(p.problems).toEqual([
      'bond bond1: eno4 is already in bond0',
      'eno1 already exists on db-02 as a physical interface',
      'VLAN bond0.300: fabric data has no VLAN 300 (it has 100, 200); a MAAS admin adds it to the fabric first',
      'VLAN eno3.100: eno3 is in bond0; put the VLAN on bond0',
      "VLAN bond0.100: MTU 9000 is above bond0's 1500, asked in the same call",
      'eno3 is in bond0: configure bond0 instead (MAAS links no subnet to a bond member)',
    ]);
  });

  it('refuses requests that cannot fit any machine, before reading one', () => {
    expect(networkRequestProblems({}, 1)).toEqual(['nothing asked: give bonds, vlans or interfaces']);
    expect(
      networkRequestProblems(
        {
          bonds: [
            { name: 'bond0', interfaces: ['a'] },
            { name: 'bond0', interfaces: ['b'] },
          ],
          interfaces: [
            { name: 'eno1', ip_mode: 'dhcp', ip_address: '10.0.0.5' },
            { name: 'eno2', ip_mode: 'static' },
            { name: 'eno3', ip_mode: 'dhcp', default_gateway: true },
            { name: 'eno4', ip_mode: 'static', subnet: '10.0.0.0/24', ip_address: '10.0.0.5' },
            { name: 'eno5', ip_mode: 'link_up' },
            { name: 'eno5', ip_mode: 'dhcp' },
          ],
        },
        3,
      ),
    ).toEqual([
      'bond bond0 is given twice',
      'interfaces[0] (eno1): ip_address needs ip_mode static',
      'interfaces[1] (eno2): ip_mode static needs a subnet',
      'interfaces[2] (eno3): default_gateway needs ip_mode static or auto (MAAS: "Cannot use in mode \'dhcp\'")',
      'interfaces[3] (eno4): ip_address 10.0.0.5 fits one machine, not 3: leave it out and MAAS picks a free address in 10.0.0.0/24 for each',
      'interface eno5: link_up means no address, so it cannot go with other links',
    ]);
  });
});

describe('a call failing part-way', () => {
  it('says what was applied; the same request then finishes and leaves the bond alone', async () => {
    const host = await s.networkHost('db-02');
    const p = await plan('db-02', { ...seedBond, vlans: [{ parent: 'bond0', vid: 100 }] });
    s.sim.control.failRequests({ method: 'POST', op: 'create_vlan', status: 503, body: 'rack down' });
    const r = await applyNetworkPlan(s.http, s.sid('db-02'), host.interfaces, p.steps);
    expect(r).toEqual({
      applied: ['create bond bond0 (802.3ad, lacp fast, hash layer3+4, MTU 9000) on eno3, eno4'],
      failed: {
        step: 'create VLAN interface bond0.100 (VLAN 100 on bond0)',
        error: 'MAAS is temporarily unavailable: rack down',
      },
    });
    const retry = await plan('db-02', { ...seedBond, vlans: [{ parent: 'bond0', vid: 100 }] });
    expect(retry.unchanged).toEqual(['bond bond0 (802.3ad on eno3, eno4)']);
    expect(retry.steps.map((x) => x.op)).toEqual(['create_vlan', 'link_subnet']);
    const done = await applyNetworkPlan(
      s.http,
      s.sid('db-02'),
      (await s.networkHost('db-02')).interfaces,
      retry.steps,
    );
    expect(done.failed).toBeUndefined();
    expect(comparable(await readTree('db-02'))).toEqual(comparable(retry.tree));
  });
});
