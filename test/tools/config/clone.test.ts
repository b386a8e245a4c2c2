/**
 * machine_clone through a real MCP client against the simulator: nineteen destinations, one of which MAAS would
 * refuse (checked first and answered on its own while the others are cloned), and the restrictions per destination.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigResult } from '../../../src/core/config-action.ts';
import type { NetworkTree } from '../../../src/core/network-tree.ts';
import type { StorageTree } from '../../../src/core/storage-tree.ts';
import { call } from '../../helpers.ts';
import { drive, runCleanups, setup } from '../write-helpers.ts';
import { bondableFleet } from './fleet.ts';

afterEach(runCleanups);

const mounts = (t: StorageTree) =>
  [
    ...t.disks.flatMap((d) => d.partitions.map((p) => p.filesystem?.mount_point)),
    ...t.volume_groups.flatMap((v) =>
      v.logical_volumes.map((lv) => `${lv.name}:${lv.size}:${lv.filesystem?.mount_point}`),
    ),
  ].filter(Boolean);

describe('machine_clone', () => {
  it('clones to nineteen machines: eighteen done, the one MAAS would refuse refused with why, alone', async () => {
    const { sim, deps, client, clock } = await setup({ machines: 400, env: { MAAS_MCP_CONFIRM: 'token' } });
    const [source, ...others] = await bondableFleet(deps);
    expect(others.length).toBeGreaterThanOrEqual(18);
    const destinations = [...others.slice(0, 18), 'k8s-03'];
    await call(client, 'machine_storage_layout', { machines: source, layout: 'efi_lvm' }).then((p) =>
      call(client, 'machine_storage_layout', {
        machines: source,
        layout: 'efi_lvm',
        confirm_token: p.data.confirm_token,
      }),
    );
    const args = { source, machines: destinations, storage: true, network: true };
    const preview = await call<ConfigResult>(client, 'machine_clone', args);
    expect(preview.data.status).toBe('confirmation_required');
    expect(preview.data.summary).toBe(
      'Confirmation required: clone 18 machines. Nothing has been changed yet.',
    );
    const k8s = preview.data.preview?.find((r) => r.hostname === 'k8s-03');
    expect(k8s?.verdict).toBe('refuse');
    expect(k8s?.effect).toMatch(
      /^cannot clone onto k8s-03: its boot disk vda \(50 GiB\) is smaller than the source's \w+ \([\d.]+ \w+\); it has no physical interface named eno1, eno2, eno3, eno4 \(MAAS matches interfaces by name; it has ens3, ens4\)$/,
    );
    expect(preview.data.preview?.filter((r) => r.verdict === 'run')).toHaveLength(18);
    expect(sim.requests.count({ method: 'POST', op: 'clone' })).toBe(0);

    const done = await drive(
      clock,
      call<ConfigResult>(client, 'machine_clone', { ...args, confirm_token: preview.data.confirm_token }),
    );
    expect(done.data.summary).toBe('clone: 18 done, 1 failed or refused');
    expect(done.data.failed.map((f) => f.hostname)).toEqual(['k8s-03']);
    expect(sim.requests.count({ method: 'POST', op: 'clone' })).toBe(18);
    const want = await call<{ layout: StorageTree }>(client, 'machine_storage', { machine: source });
    for (const h of others.slice(0, 18)) {
      const got = await call<{ layout: StorageTree }>(client, 'machine_storage', { machine: h });
      expect(mounts(got.data.layout), h).toEqual(mounts(want.data.layout));
    }
  });

  it('checks what is cloned: only interface names for the network, and needs one of storage or network', async () => {
    const { client } = await setup();
    const none = await call(client, 'machine_clone', { source: 'web-06', machines: 'db-02' });
    expect(none.isError).toBe(true);
    expect(none.text).toBe('say what to clone: storage=true, network=true, or both');
    const res = await call<ConfigResult>(client, 'machine_clone', {
      source: 'db-02',
      machines: ['web-06', 'web-02', 'web-03', 'db-02'],
      network: true,
    });
    expect(res.data.succeeded.map((r) => r.hostname)).toEqual(['web-06']);
    expect(res.data.failed.map((f) => [f.hostname, f.error])).toEqual([
      [
        'web-02',
        'cannot clone onto web-02: it has no physical interface named eno3, eno4 (MAAS matches interfaces by name; it has eno1, eno2)',
      ],
      [
        'web-03',
        'cannot clone onto web-03: web-03 is locked: unlock it first (machine_unlock); it has no physical interface named eno4 (MAAS matches interfaces by name; it has eno1, eno2, eno3)',
      ],
      ['db-02', 'cannot clone onto db-02: db-02 is the source; it cannot be a destination too'],
    ]);
    const net = await call<{ network: NetworkTree }>(client, 'machine_network', { machine: 'web-06' });
    // A static address on the source is not copied: the destination got a new one in the same subnet.
    const eno2 = net.data.network.interfaces.find((i) => i.name === 'eno2');
    expect(eno2?.links[0]?.subnet).toBe('10.20.0.0/24');
    expect(eno2?.links[0]?.ip).not.toBe('10.20.0.107');
  });
});
