/**
 * machine_network and machine_network_configure through a real MCP client against the simulator: the tree, an
 * 802.3ad bond with a VLAN and a static address previewed and applied, the same call again changing nothing,
 * refusals, a failure part-way finished by the same call, and twenty machines at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigResult } from '../../../src/core/config-action.ts';
import type { NetworkTree } from '../../../src/core/network-tree.ts';
import { call } from '../../helpers.ts';
import { drive, readyHosts, runCleanups, setup } from '../write-helpers.ts';

afterEach(runCleanups);

type Read = { network: NetworkTree; default_gateways: { ipv4: string | null; ipv6: string | null } };

const bonded = {
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
  vlans: [{ parent: 'bond0', vid: 100 }],
  interfaces: [
    {
      name: 'bond0',
      subnet: '10.40.0.0/22',
      ip_mode: 'static',
      ip_address: '10.40.0.10',
      default_gateway: true,
    },
    { name: 'bond0.100', subnet: '10.100.0.0/24', ip_mode: 'auto' },
  ],
};

describe('machine_network', () => {
  it('shows interfaces with fabric, VLAN, MTU and links, and the default gateways', async () => {
    const { client } = await setup();
    const res = await call<Read>(client, 'machine_network', { machine: 'web-03' });
    expect(res.isError).toBe(false);
    expect(res.text.split('\n')).toEqual([
      expect.stringMatching(
        /^web-03 \(\w+\), Deployed — network \(default gateway 10\.10\.0\.1, 2001:db8:10::1\):$/,
      ),
      '  eno1 (physical, fabric-0 untagged, MTU 1500): auto 10.10.0.0/24 10.10.0.10; auto 2001:db8:10::/64 2001:db8:10::a',
      '  eno2 (physical, fabric-0 VLAN 20, MTU 1500): static 10.20.0.0/24 10.20.0.102',
      '  eno3 (physical, fabric-1 untagged, MTU 1500): link up, no address',
    ]);
    expect(res.data.network.interfaces[1]).toMatchObject({
      name: 'eno2',
      vid: 20,
      links: [{ mode: 'static', ip: '10.20.0.102' }],
    });
  });
});

describe('machine_network_configure', () => {
  it('previews the bond, VLAN and links per machine, then makes them; the tree reads back as previewed', async () => {
    const { sim, client, clock } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const args = { machines: 'db-02', ...bonded };
    const preview = await call<ConfigResult>(client, 'machine_network_configure', args);
    expect(preview.data.status).toBe('confirmation_required');
    expect(sim.requests.count({ method: 'POST' })).toBe(0);
    expect(preview.data.preview?.[0]?.effect).toBe(
      'create bond bond0 (802.3ad, lacp fast, hash layer3+4, MTU 9000) on eno3, eno4; create VLAN interface bond0.100 (VLAN 100 on bond0); link bond0 static 10.40.0.10 on 10.40.0.0/22, default gateway; link bond0.100 auto on 10.100.0.0/24',
    );
    const done = await drive(
      clock,
      call<ConfigResult>(client, 'machine_network_configure', {
        ...args,
        confirm_token: preview.data.confirm_token,
      }),
    );
    const [d] = done.data.details ?? [];
    expect(d?.outcome).toBe('done');
    expect(d?.applied).toHaveLength(4);
    const read = await call<Read>(client, 'machine_network', { machine: 'db-02' });
    const byName = (t: NetworkTree) => [...t.interfaces].sort((a, b) => a.name.localeCompare(b.name));
    expect(byName(read.data.network)).toEqual(byName(d?.network as NetworkTree));
    expect(read.data.default_gateways.ipv4).toBe('10.40.0.1');
    expect(read.text).toContain(
      'bond0 (bond 802.3ad lacp fast hash layer3+4, data untagged, MTU 9000): static 10.40.0.0/22 10.40.0.10 (default gateway)',
    );
    expect(read.text).toContain(
      '└─ bond0.100 (vlan, data VLAN 100, MTU 9000): auto 10.100.0.0/24 (address at deploy)',
    );
  });

  it('configuring what is already there changes nothing, asks nothing, and says so', async () => {
    const { sim, client } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const first = await call<ConfigResult>(client, 'machine_network_configure', {
      machines: 'db-02',
      ...bonded,
    });
    await call<ConfigResult>(client, 'machine_network_configure', {
      machines: 'db-02',
      ...bonded,
      confirm_token: first.data.confirm_token,
    });
    const writes = sim.requests.count({ method: 'POST' });
    const again = await call<ConfigResult>(client, 'machine_network_configure', {
      machines: 'db-02',
      ...bonded,
    });
    expect(again.data.status).toBe('done');
    expect(again.data.confirm_token).toBeUndefined();
    expect(again.data.skipped[0]?.reason).toBe(
      'already as asked: bond bond0 (802.3ad on eno3, eno4); VLAN interface bond0.100; bond0 links (static 10.40.0.0/22 10.40.0.10); bond0.100 links (auto 10.100.0.0/24)',
    );
    expect(again.text).toContain('db-02: nothing to change');
    expect(sim.requests.count({ method: 'POST' })).toBe(writes);
  });

  it('works on an Allocated machine, refuses a Deployed one with what to do, and refuses what does not fit', async () => {
    const { client } = await setup();
    const res = await call<ConfigResult>(client, 'machine_network_configure', {
      machines: ['web-05', 'web-04', 'web-01'],
      interfaces: [
        { name: 'eno2', subnet: '10.20.0.0/24', ip_mode: 'dhcp' },
        { name: 'eno3', ip_mode: 'link_up' },
      ],
    });
    expect(res.data.succeeded).toEqual([]);
    expect(res.data.failed.map((f) => [f.hostname, f.error])).toEqual([
      ['web-05', "cannot configure web-05's network: eno3 is not an interface of web-05 (it has eno1, eno2)"],
      [
        'web-04',
        'web-04 is Deployed: MAAS changes interfaces only on Ready or Allocated machines here — release it first (machine_release)',
      ],
      ['web-01', "cannot configure web-01's network: eno3 is not an interface of web-01 (it has eno1, eno2)"],
    ]);
    const ok = await call<ConfigResult>(client, 'machine_network_configure', {
      machines: 'web-05',
      interfaces: [{ name: 'eno2', subnet: '10.20.0.0/24', ip_mode: 'dhcp' }],
    });
    expect(ok.data.details?.[0]).toMatchObject({
      outcome: 'done',
      applied: ["remove eno2's link static 10.20.0.0/24 10.20.0.104", 'link eno2 dhcp on 10.20.0.0/24'],
    });
  });

  it('refuses a fixed address for several machines as bad input, before reading any', async () => {
    const { sim, client } = await setup();
    const res = await call(client, 'machine_network_configure', {
      machines: ['db-02', 'web-06'],
      interfaces: [{ name: 'eno3', subnet: '10.40.0.0/22', ip_mode: 'static', ip_address: '10.40.0.10' }],
    });
    expect(res.isError).toBe(true);
    expect(res.text).toBe(
      'interfaces[0] (eno3): ip_address 10.40.0.10 fits one machine, not 2: leave it out and MAAS picks a free address in 10.40.0.0/22 for each',
    );
    expect(sim.requests.count({ method: 'POST' })).toBe(0);
  });

  it('reports a failure part-way with what was applied; the same call finishes it and leaves the bond alone', async () => {
    const { sim, client } = await setup();
    sim.control.failRequests({
      method: 'POST',
      op: 'link_subnet',
      status: 404,
      body: 'IP address is already in use.',
    });
    const res = await call<ConfigResult>(client, 'machine_network_configure', {
      machines: 'db-02',
      ...bonded,
    });
    const [d] = res.data.details ?? [];
    expect(d).toMatchObject({
      outcome: 'failed',
      applied: [
        'create bond bond0 (802.3ad, lacp fast, hash layer3+4, MTU 9000) on eno3, eno4',
        'create VLAN interface bond0.100 (VLAN 100 on bond0)',
      ],
      failed_step: 'link bond0 static 10.40.0.10 on 10.40.0.0/22, default gateway',
      error: 'IP address is already in use.',
      recovery:
        'the calls after it were not made; fix the cause and make the same call again: what is already done is left alone',
    });
    const again = await call<ConfigResult>(client, 'machine_network_configure', {
      machines: 'db-02',
      ...bonded,
    });
    expect(again.data.details?.[0]).toMatchObject({
      outcome: 'done',
      applied: [
        'link bond0 static 10.40.0.10 on 10.40.0.0/22, default gateway',
        'link bond0.100 auto on 10.100.0.0/24',
      ],
      effect: expect.stringContaining(
        'already as asked: bond bond0 (802.3ad on eno3, eno4); VLAN interface bond0.100',
      ),
    });
  });

  it('configures twenty machines at once, with a result per machine', async () => {
    const { sim, client } = await setup({ machines: 80 });
    const hosts = readyHosts(sim, 20);
    const res = await call<ConfigResult>(client, 'machine_network_configure', {
      machines: hosts,
      interfaces: [{ name: 'eno1', ip_mode: 'dhcp' }],
    });
    const details = res.data.details ?? [];
    expect(details).toHaveLength(20);
    const done = details.filter((d) => d.outcome === 'done').map((d) => d.hostname);
    const refused = details.filter((d) => d.outcome === 'refused');
    expect(done.length).toBeGreaterThan(10);
    expect(done.length + refused.length).toBe(20);
    for (const r of refused) expect(r.error).toMatch(/eno1 is not an interface of/);
    for (const h of done) {
      const read = await call<Read>(client, 'machine_network', { machine: h });
      expect(read.data.network.interfaces.find((i) => i.name === 'eno1')?.links.map((l) => l.mode)).toEqual([
        'dhcp',
      ]);
    }
  });
});
