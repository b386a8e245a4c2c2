/**
 * The "done when", as one journey each through the official MCP client (confirmation by token) and through
 * signed Slack requests (Confirm buttons): a freshly commissioned machine gets the SDK's EFI + LVM layout and an
 * 802.3ad bond with a static address, both are cloned to nineteen machines, and all twenty deploy — every write
 * previewed first and confirmed, the simulator answering each call as MAAS 3.7 would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigResult } from '../../../src/core/config-action.ts';
import type { NetworkTree } from '../../../src/core/network-tree.ts';
import type { ActionResult } from '../../../src/core/result.ts';
import type { StorageTree } from '../../../src/core/storage-tree.ts';
import { NodeStatus as S } from '../../../src/maas/status.ts';
import { call } from '../../helpers.ts';
import {
  answer,
  buttonsOf,
  clickAnswer,
  posts,
  previewOf,
  type Rig,
  slackRig,
  statusOf,
  texts,
} from '../../slack/helpers.ts';
import { drive, node, runCleanups, setup } from '../write-helpers.ts';
import { bondableFleet } from './fleet.ts';

afterEach(runCleanups);

const bond = {
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

/** What every one of the twenty must end with: the SDK's volumes and the bond with an address of its own. */
function expectConfigured(storage: StorageTree, network: NetworkTree) {
  expect(
    storage.volume_groups.map((v) => [
      v.name,
      v.logical_volumes.map((lv) => `${lv.name} ${lv.filesystem?.fstype} ${lv.filesystem?.mount_point}`),
    ]),
  ).toEqual([
    [
      'vg-main',
      [
        'vg-main-root xfs /',
        'vg-main-home xfs /home',
        'vg-main-var xfs /var',
        'vg-main-var-log xfs /var/log',
        'vg-main-tmp xfs /tmp',
      ],
    ],
  ]);
  const b = network.interfaces.find((i) => i.name === 'bond0');
  expect(b).toMatchObject({
    type: 'bond',
    mtu: 9000,
    parents: ['eno3', 'eno4'],
    bond: { mode: '802.3ad', lacp_rate: 'fast', xmit_hash_policy: 'layer3+4' },
  });
  expect(b?.links).toEqual([
    expect.objectContaining({
      mode: 'static',
      subnet: '10.40.0.0/22',
      ip: expect.stringMatching(/^10\.40\.[0-3]\.\d+$/),
    }),
  ]);
  return b?.links[0]?.ip;
}

describe('from a freshly commissioned machine to twenty deployed ones', () => {
  it('through MCP: each write is previewed, confirmed with its token, and done as previewed', async () => {
    const { sim, deps, client, clock } = await setup({ machines: 400, env: { MAAS_MCP_CONFIRM: 'token' } });
    const [source = '', ...others] = await bondableFleet(deps);
    const nineteen = others.slice(0, 19);
    expect(nineteen).toHaveLength(19);
    const confirmed = async (tool: string, args: Record<string, unknown>, runs: number) => {
      const writes = sim.requests.count({ method: 'POST' }) + sim.requests.count({ method: 'PUT' });
      const preview = await call<ConfigResult>(client, tool, args);
      expect(preview.data.status, preview.text).toBe('confirmation_required');
      expect(preview.data.preview?.filter((r) => r.verdict === 'run')).toHaveLength(runs);
      expect(sim.requests.count({ method: 'POST' }) + sim.requests.count({ method: 'PUT' })).toBe(writes);
      const done = await drive(
        clock,
        call<ConfigResult>(client, tool, { ...args, confirm_token: preview.data.confirm_token }),
      );
      expect(done.isError, done.text).toBe(false);
      expect(done.data.succeeded).toHaveLength(runs);
      return { preview, done };
    };

    const commission = await drive(
      clock,
      call<ActionResult>(client, 'machine_commission', { machines: source }),
    );
    expect(commission.data.succeeded).toHaveLength(1);
    await sim.settle();
    expect(node(sim, source).status).toBe(S.READY);

    const layout = await confirmed('machine_storage_layout', { machines: source, layout: 'efi_lvm' }, 1);
    expect(layout.preview.data.preview?.[0]?.effect).toMatch(
      /lay out efi_lvm on .*sda-part1 512 MiB fat32 \/boot\/efi, sda-part2 2 GiB xfs \/boot/,
    );
    const network = await confirmed('machine_network_configure', { machines: source, ...bond }, 1);
    expect(network.preview.data.preview?.[0]?.effect).toBe(
      'create bond bond0 (802.3ad, lacp fast, hash layer3+4, MTU 9000) on eno3, eno4; link bond0 static 10.40.0.10 on 10.40.0.0/22, default gateway',
    );
    const clone = await confirmed(
      'machine_clone',
      { source, machines: nineteen, storage: true, network: true },
      19,
    );
    expect(clone.preview.data.preview?.[0]?.effect).toMatch(
      /^copy storage and network from .*; it gets new static addresses in 10\.40\.0\.0\/22$/,
    );

    const all: string[] = [source, ...nineteen];
    const deploy = await call<ActionResult>(client, 'machine_deploy', {
      machines: all,
      distro_series: 'noble',
    });
    expect(deploy.data.status).toBe('confirmation_required');
    const started = await call<ActionResult>(client, 'machine_deploy', {
      machines: all,
      distro_series: 'noble',
      confirm_token: deploy.data.confirm_token,
    });
    expect(started.data.summary).toBe('deploy: 20 done');
    await sim.settle();
    const ips = new Set<string>();
    for (const h of all) {
      expect(node(sim, h).status, h).toBe(S.DEPLOYED);
      const storage = await call<{ layout: StorageTree }>(client, 'machine_storage', { machine: h });
      const net = await call<{ network: NetworkTree }>(client, 'machine_network', { machine: h });
      ips.add(expectConfigured(storage.data.layout, net.data.network) ?? '');
    }
    expect(ips.size).toBe(20);
    expect(ips.has('10.40.0.10')).toBe(true);
  });

  it('through Slack: each write answers with a preview and runs on its Confirm', async () => {
    const rig: Rig = await slackRig({}, { machines: 400 });
    try {
      const [source, ...others] = await bondableFleet(rig.deps);
      const nineteen = others.slice(0, 19);
      const all = [source as string, ...nineteen];
      const confirm = async (text: string, title: string, hosts: readonly string[]) => {
        const writes = rig.sim.requests.entries.filter((e) => e.method !== 'GET').length;
        const { msg, nonce } = await previewOf(rig, text, 'UADMIN');
        expect(msg.text).toBe(title);
        const shown = texts(msg);
        for (const h of hosts) expect(shown).toContain(`*${h}*`);
        for (const b of msg.blocks ?? []) expect((b.text?.text ?? '').length).toBeLessThanOrEqual(3000);
        expect(rig.sim.requests.entries.filter((e) => e.method !== 'GET').length).toBe(writes);
        const before = posts(rig, 'CCHAN').length;
        const clicked = await clickAnswer(rig, 'maas:confirm', nonce, 'UADMIN');
        // A result that starts an operation is posted in the channel; the others replace the preview.
        const result = posts(rig, 'CCHAN')[before] ?? clicked.msg;
        expect(result?.text).toMatch(/: \d+ done$/);
        return { shown, result: texts(result) };
      };

      await answer(rig, `commission ${source}`, 'UADMIN');
      await rig.sim.settle();
      expect(statusOf(rig, source as string)).toBe('Ready');

      const layout = await confirm(
        `configure-storage ${source} layout=efi_lvm`,
        'Configure storage 1 machine?',
        [source as string],
      );
      expect(layout.shown).toMatch(
        /LVM vg-main; vg-main [\d.]+ GiB: root 50 GiB xfs \/, home 10 GiB xfs \/home/,
      );
      const network = await confirm(
        `configure-network ${source} bonds.name=bond0 bonds.interfaces=eno3,eno4 bonds.mode=802.3ad bonds.mtu=9000 bonds.lacp_rate=fast bonds.xmit_hash_policy=layer3+4 interfaces.name=bond0 interfaces.subnet=10.40.0.0/22 interfaces.ip_mode=static interfaces.ip_address=10.40.0.10 interfaces.default_gateway=true`,
        'Configure network 1 machine?',
        [source as string],
      );
      expect(network.shown).toContain(
        'create bond bond0 (802.3ad, lacp fast, hash layer3+4, MTU 9000) on eno3, eno4',
      );
      const clone = await confirm(
        `clone ${nineteen.join(' ')} source=${source} storage=true network=true`,
        'Clone 19 machines?',
        nineteen,
      );
      expect(clone.result).toContain('clone: 19 done');
      const deploy = await confirm(`deploy ${all.join(' ')} distro_series=noble`, 'Deploy 20 machines?', all);
      expect(deploy.result).toContain('deploy: 20 done');
      await rig.sim.settle();
      for (const h of all) expect(statusOf(rig, h), h).toBe('Deployed');
      const shown = await answer(rig, `network ${nineteen[18]}`, 'UADMIN');
      expect(texts(shown.msg)).toMatch(
        /bond0 \(bond 802\.3ad lacp fast hash layer3\+4, data untagged, MTU 9000\): static 10\.40\.0\.0\/22 10\.40\.\d+\.\d+/,
      );
      expect(buttonsOf(shown.msg)).toEqual([]);
    } finally {
      await rig.close();
    }
  });
});
