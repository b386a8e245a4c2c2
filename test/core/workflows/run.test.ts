/**
 * Workflow runs against the simulator: the SDK's use cases, 40 hosts at once with one failing, retries on MAAS's
 * 503s (also a 503 that hid a write MAAS made), giving up, step timeouts, a dry run that writes nothing, the one
 * confirmation of a plan, cancellation, and what MAAS cannot do said plainly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../../../src/core/invoke.ts';
import { NodeStatus } from '../../../src/maas/status.ts';
import { findTool } from '../../../src/tools/index.ts';
import { ADMIN, drive, node, readyHosts } from '../../helpers.ts';
import { MAC, type Rig, runWorkflow, workflowRig, writes } from './rig.ts';
import { SEED_EXAMPLES } from './seed-examples.ts';

const rigs: Rig[] = [];
afterEach(() => {
  for (const r of rigs.splice(0)) r.close();
});
function rig(...a: Parameters<typeof workflowRig>): Rig {
  const r = workflowRig(...a);
  rigs.push(r);
  return r;
}

/** node01 as the SDK's complete example expects it in MAAS: two NICs, eth0 and eth1, on one VLAN. */
async function existingNode01(r: Rig): Promise<void> {
  const tool = findTool('machine_create');
  if (!tool) throw new Error('no machine_create');
  await drive(
    r.clock,
    runTool(
      tool,
      { hostname: 'node01', mac_addresses: [MAC(91), MAC(92)], power_type: 'manual', commission: false },
      { deps: r.deps, principal: ADMIN },
    ),
  );
  const sid = r.sim.control.systemId('node01');
  const nics = (await r.deps.maas.http.call({ method: 'GET', path: `nodes/${sid}/interfaces/` })) as {
    id: number;
    name: string;
    vlan: { id: number } | null;
  }[];
  const eth0 = nics.find((n) => n.name === 'eth0');
  const eth1 = nics.find((n) => n.name === 'eth1');
  await r.deps.maas.http.call({
    method: 'PUT',
    path: `nodes/${sid}/interfaces/${eth1?.id}/`,
    form: { vlan: eth0?.vlan?.id ?? null },
  });
}

describe('the SDK use cases', () => {
  it('1. full provisioning: creates, sets power, commissions, lays out EFI + LVM (after commissioning) and deploys', async () => {
    const r = rig();
    // The new machine's firmware boots UEFI (the simulator leaves a machine it has not commissioned "unknown").
    const unwatch = r.runner.subscribe((_id, e) => {
      if (e.kind === 'step' && e.action === 'create_machine' && e.state === 'done') {
        r.sim.control.setMachine('node01', { biosBootMethod: 'uefi' });
        unwatch();
      }
    });
    const { view } = await runWorkflow(r, {
      actions: ['create_machine', 'set_power', 'configure_storage', 'commission', 'deploy'],
      storage: {
        device: '/dev/sda',
        params: {
          efi_mb: 512,
          boot_size_g: 2,
          root_size_g: 50,
          home_size_g: 10,
          var_size_g: 10,
          var_log_size_g: 10,
          tmp_size_g: 10,
        },
      },
      machines: [
        {
          hostname: 'node01',
          pxe_mac: MAC(1),
          power_type: 'ipmi',
          power_parameters: { power_address: '10.0.0.100', power_user: 'root', power_pass: 'password' },
          distro_series: 'jammy',
        },
      ],
    });
    expect(view.hosts[0]?.error).toBeUndefined();
    expect(view.state).toBe('succeeded');
    expect(view.hosts[0]?.steps?.map((s) => [s.action, s.state])).toEqual([
      ['create_machine', 'done'],
      ['set_power', 'skipped'],
      ['commission', 'done'],
      ['configure_storage', 'done'],
      ['deploy', 'done'],
    ]);
    expect(node(r.sim, 'node01').status).toBe(NodeStatus.DEPLOYED);
    const storage = (await runTool(
      findTool('machine_storage') as never,
      { machine: 'node01' },
      { deps: r.deps, principal: ADMIN },
    )) as {
      layout: { volume_groups: { name: string; logical_volumes: { name: string }[] }[] };
    };
    expect(storage.layout.volume_groups.map((v) => [v.name, v.logical_volumes.map((lv) => lv.name)])).toEqual(
      [['vg-main', ['vg-main-root', 'vg-main-home', 'vg-main-var', 'vg-main-var-log', 'vg-main-tmp']]],
    );
  });

  it('2. re-provision: releases, commissions, lays the storage out again and deploys', async () => {
    const r = rig();
    const { view } = await runWorkflow(r, {
      actions: ['release', 'configure_storage', 'commission', 'deploy'],
      machines: [{ hostname: 'db-01', distro_series: 'noble' }],
    });
    expect(view.hosts[0]?.error).toBeUndefined();
    expect(view.hosts[0]?.steps?.map((s) => [s.action, s.state])).toEqual([
      ['release', 'done'],
      ['commission', 'done'],
      ['configure_storage', 'done'],
      ['deploy', 'done'],
    ]);
    expect(node(r.sim, 'db-01')).toMatchObject({ status: NodeStatus.DEPLOYED, distroSeries: 'noble' });
  });

  it('the complete workflow example, unchanged: finds node01, commissions it, and stops where MAAS has no 10.0.0.0/24, saying so', async () => {
    const r = rig();
    await existingNode01(r);
    const { view } = await runWorkflow(r, SEED_EXAMPLES['complete workflow example'] as never);
    expect(view.hosts[0]?.steps?.map((s) => [s.action, s.state])).toEqual([
      ['create_machine', 'skipped'],
      ['commission', 'done'],
      ['configure_network', 'failed'],
      ['deploy', 'pending'],
    ]);
    expect(view.hosts[0]?.error).toMatch(/^configure_network: .*10\.0\.0\.0\/24/);
    expect(writes(r.sim, 'deploy')).toEqual([]);
  });

  it('the complete workflow example on a subnet MAAS has: bonds eth0 and eth1 with LACP, gives the bond its address, deploys', async () => {
    const r = rig();
    await existingNode01(r);
    const example = structuredClone(SEED_EXAMPLES['complete workflow example']) as unknown as {
      machines: { network: { interfaces: { subnet: string; ip_address: string }[] } }[];
    };
    const link = example.machines[0]?.network.interfaces[0] as { subnet: string; ip_address: string };
    link.subnet = '10.10.0.0/24';
    link.ip_address = '10.10.0.50';
    const { view } = await runWorkflow(r, example as never);
    expect(view.hosts[0]?.error).toBeUndefined();
    expect(view.state).toBe('succeeded');
    const net = (await runTool(
      findTool('machine_network') as never,
      { machine: 'node01' },
      { deps: r.deps, principal: ADMIN },
    )) as {
      network: {
        interfaces: {
          name: string;
          type: string;
          parents: string[];
          bond?: { mode: string };
          links: { ip?: string | null }[];
        }[];
      };
    };
    const bond = net.network.interfaces.find((i) => i.name === 'bond0');
    expect(bond).toMatchObject({ type: 'bond', parents: ['eth0', 'eth1'], bond: { mode: '802.3ad' } });
    expect(bond?.links[0]?.ip).toBe('10.10.0.50');
    expect(node(r.sim, 'node01').status).toBe(NodeStatus.DEPLOYED);
  });

  it('4. commission only: commissions an existing machine and waits until it is Ready', async () => {
    const r = rig();
    const { view, op } = await runWorkflow(r, {
      actions: ['commission'],
      machines: [{ hostname: 'new-01' }],
    });
    expect(op.state).toBe('succeeded');
    expect(view.hosts[0]).toMatchObject({
      hostname: 'new-01',
      result: 'succeeded',
      status: 'Ready',
      done: 1,
    });
    expect(view.hosts[0]?.steps?.[0]).toMatchObject({
      action: 'commission',
      state: 'done',
      note: 'commissioning: Ready',
    });
    expect(node(r.sim, 'new-01').status).toBe(NodeStatus.READY);
  });

  it('5. multiple machines: each commissioned then deployed with its own series, both at once', async () => {
    const r = rig();
    const [a, b] = readyHosts(r.sim, 2) as [string, string];
    const { view, events } = await runWorkflow(r, {
      actions: ['commission', 'deploy'],
      machines: [
        { hostname: a, distro_series: 'jammy' },
        { hostname: b, distro_series: 'focal' },
      ],
    });
    expect(view.state).toBe('succeeded');
    expect(node(r.sim, a)).toMatchObject({ status: NodeStatus.DEPLOYED, distroSeries: 'jammy' });
    expect(node(r.sim, b)).toMatchObject({ status: NodeStatus.DEPLOYED, distroSeries: 'focal' });
    // Not one after the other: b started commissioning before a finished its deployment.
    const at = (host: string, action: string, state: string) =>
      events.find((e) => e.kind === 'step' && e.host === host && e.action === action && e.state === state)
        ?.at ?? 0;
    expect(at(b, 'commission', 'running')).toBeLessThan(at(a, 'deploy', 'done'));
    expect(at(b, 'commission', 'running')).toBe(at(a, 'commission', 'running'));
  });

  it('3. cleanup: releases (erasing the disks) and deletes, and skips a host that is not in MAAS', async () => {
    const r = rig();
    const { view } = await runWorkflow(r, {
      actions: ['release', 'delete'],
      machines: [{ hostname: 'db-01' }, { hostname: 'gone-01' }],
    });
    expect(view.state).toBe('succeeded');
    expect(r.sim.control.machines().some((m) => m.hostname === 'db-01')).toBe(false);
    expect(writes(r.sim, 'release')).toHaveLength(1);
    const erase = r.sim.requests.entries.find((e) => e.query.some(([k, v]) => k === 'op' && v === 'release'));
    expect(erase?.form).toContainEqual(['erase', 'true']);
    expect(view.hosts[1]?.steps?.map((s) => [s.action, s.state, s.note])).toEqual([
      ['release', 'skipped', 'not in MAAS: nothing to release'],
      ['delete', 'skipped', 'not in MAAS: nothing to delete'],
    ]);
  });

  it('runs the same file again as a no-op once it is done: every step looks first', async () => {
    const r = rig();
    const file = {
      actions: ['commission', 'deploy'],
      machines: [{ hostname: 'new-02', distro_series: 'jammy' }],
    };
    await runWorkflow(r, file);
    const before = writes(r.sim).length;
    const { view } = await runWorkflow(r, file);
    expect(view.state).toBe('succeeded');
    expect(view.hosts[0]?.steps?.map((s) => [s.action, s.state])).toEqual([
      ['commission', 'skipped'],
      ['deploy', 'skipped'],
    ]);
    expect(writes(r.sim).length).toBe(before);
  });
});

describe('many hosts', () => {
  it('creates, commissions and deploys 40 hosts at once; one failing host stops no other, and each poll reads them all in one request', async () => {
    const r = rig({ machines: 24 });
    const machines = Array.from({ length: 40 }, (_, i) => ({
      hostname: `node-${String(i + 1).padStart(2, '0')}`,
      pxe_mac: MAC(i),
      power_type: 'ipmi',
      power_parameters: {
        power_address: `10.20.0.${i + 1}`,
        power_user: 'root',
        power_pass: 'Rack-Bmc-Pass',
      },
      distro_series: 'jammy',
    }));
    // node-07 will fail its deployment once it exists: arm the failure as soon as it is created.
    const unwatch = r.deps.notify.subscribe({
      progress: () => {
        const n = r.sim.control.machines().find((m) => m.hostname === 'node-07');
        if (n && !armed) {
          armed = true;
          r.sim.control.failTransition('node-07', 'deploy', {
            message: 'Installation failed: disk /dev/sda is read-only',
          });
        }
      },
    });
    let armed = false;
    const { view, op } = await runWorkflow(r, {
      actions: ['create_machine', 'commission', 'deploy'],
      machines,
    });
    unwatch();
    expect(op.state).toBe('partial');
    expect(view.counts).toMatchObject({ total: 40, succeeded: 39, failed: 1 });
    const failed = view.hosts.find((h) => h.result === 'failed');
    expect(failed?.hostname).toBe('node-07');
    expect(failed?.error).toContain(
      'deploy: deployment failed: Installation failed: disk /dev/sda is read-only',
    );
    for (const m of machines.filter((m) => m.hostname !== 'node-07')) {
      expect(node(r.sim, m.hostname).status, m.hostname).toBe(NodeStatus.DEPLOYED);
    }
    // Every wait went through the batched poller: no tick read more than one request's worth of machines.
    const reading = r.ticks.filter((t) => t.machines > 0);
    expect(Math.max(...reading.map((t) => t.machines))).toBe(40);
    for (const t of reading) expect(t.requests).toBeLessThanOrEqual(Math.ceil(t.machines / 100) + 1);
  });
});

describe('retries and timeouts', () => {
  it('tries a step again when MAAS answers 503, after 1 and 2 seconds, and then succeeds', async () => {
    const r = rig();
    r.sim.control.failRequests({
      method: 'POST',
      op: 'commission',
      status: 503,
      body: 'No rack controllers',
      times: 2,
    });
    const { view, events } = await runWorkflow(r, {
      actions: ['commission'],
      machines: [{ hostname: 'new-01' }],
    });
    expect(view.state).toBe('succeeded');
    expect(view.hosts[0]?.steps?.[0]?.attempts).toBe(3);
    const retries = events.filter((e) => e.kind === 'step' && e.state === 'retrying');
    expect(retries.map((e) => (e as { note?: string }).note)).toEqual([
      expect.stringMatching(/try 1 failed \(.*No rack controllers.*\); trying again in 1 s/),
      expect.stringMatching(/try 2 failed .* trying again in 2 s/),
    ]);
    expect(retries[1]!.at - retries[0]!.at).toBeGreaterThanOrEqual(1_000);
  });

  it('never sends a deploy twice when MAAS took it but its answer was lost: it looks, and follows the deployment', async () => {
    const r = rig();
    const [host] = readyHosts(r.sim, 1) as [string];
    r.sim.control.failRequests({ method: 'POST', op: 'deploy', status: 503, when: 'after' });
    const { view } = await runWorkflow(r, { actions: ['deploy'], machines: [{ hostname: host }] });
    expect(view.state).toBe('succeeded');
    expect(writes(r.sim, 'deploy')).toHaveLength(1);
    expect(node(r.sim, host).status).toBe(NodeStatus.DEPLOYED);
  });

  it('gives up after --max-retries tries, saying how many', async () => {
    const r = rig();
    r.sim.control.failRequests({ method: 'POST', op: 'commission', status: 503, times: 10 });
    const { view } = await runWorkflow(
      r,
      { actions: ['commission'], machines: [{ hostname: 'new-01' }] },
      { max_retries: 2 },
    );
    expect(view.state).toBe('failed');
    expect(view.hosts[0]?.error).toMatch(
      /^commission: .*MAAS is temporarily unavailable.*\(after 3 tries\)$/,
    );
    expect(writes(r.sim, 'commission')).toHaveLength(3);
  });

  it('does not retry what MAAS refused (a 400 is not passing)', async () => {
    const r = rig();
    const [host] = readyHosts(r.sim, 1) as [string];
    const { view } = await runWorkflow(r, {
      actions: ['deploy'],
      machines: [{ hostname: host, distro_series: 'nosuchseries' }],
    });
    expect(view.state).toBe('failed');
    expect(view.hosts[0]?.steps?.[0]?.attempts).toBe(1);
  });

  it('times a step out at the timeout the file gives it, and says it was still going', async () => {
    const r = rig();
    const [host] = readyHosts(r.sim, 1) as [string];
    const { view, op } = await runWorkflow(r, {
      actions: ['deploy'],
      machines: [{ hostname: host, deploy_timeout: 60 }],
    });
    expect(op.state).toBe('timed_out');
    expect(view.hosts[0]?.result).toBe('timed_out');
    expect(view.hosts[0]?.error).toMatch(/^deploy: deployment did not finish in time: still Deploying/);
  });
});

describe('confirmation and dry runs', () => {
  it('a dry run shows each host its steps, destructive ones marked, and writes nothing', async () => {
    const r = rig();
    const { out } = await runWorkflow(
      r,
      {
        actions: ['create_machine', 'commission', 'deploy'],
        machines: [{ hostname: 'fresh-01', pxe_mac: MAC(1), power_type: 'manual' }, { hostname: 'web-01' }],
      },
      { dry_run: true },
      { confirmMode: 'token' },
    );
    expect(out.note).toBe('Dry run: nothing was done.');
    expect(out.plan).toEqual([
      {
        hostname: 'fresh-01',
        system_id: '',
        status: 'not in MAAS',
        steps: [
          {
            action: 'create_machine',
            effect: 'create it (MAC 52:54:00:77:00:01, power manual)',
            destructive: false,
          },
          { action: 'commission', effect: 'commission it, waiting up to 20 min', destructive: false },
          {
            action: 'deploy',
            effect: 'deploy the default OS over its disks, waiting up to 30 min',
            destructive: true,
          },
        ],
      },
      expect.objectContaining({ hostname: 'web-01', status: 'Ready' }),
    ]);
    expect(writes(r.sim)).toEqual([]);
    expect(await r.deps.store.listOperations({})).toEqual([]);
    expect(await r.deps.store.listAudit({})).toEqual([]);
  });

  it('is confirmed once for the whole plan, which names every destructive step per host; its steps then run as the plan’s and are audited as its steps', async () => {
    const r = rig({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const workflow = {
      actions: ['release', 'commission'],
      machines: [{ hostname: 'db-01' }, { hostname: 'web-04' }],
    };
    const first = await runWorkflow(r, workflow, {}, { confirmMode: 'token' });
    expect(first.out).toMatchObject({ status: 'confirmation_required', confirmation_required: true });
    const preview = first.out.preview as { hostname: string; effect: string }[];
    expect(preview.map((p) => p.hostname)).toEqual(['db-01', 'web-04']);
    for (const p of preview)
      expect(p.effect).toMatch(/⚠ release: release it, erasing its disks\n {4}• commission/);
    expect(writes(r.sim)).toEqual([]);
    const { view, op } = await runWorkflow(
      r,
      workflow,
      { confirm_token: first.out.confirm_token },
      { confirmMode: 'token' },
    );
    expect(view.state).toBe('succeeded');
    const audit = await r.deps.store.listAudit({ limit: 50 });
    expect(audit.filter((a) => a.tool === 'workflow_run')).toHaveLength(1);
    const steps = audit.filter((a) => a.tool === 'machine_release' || a.tool === 'machine_commission');
    expect(steps).toHaveLength(4);
    for (const a of steps) {
      expect(a.principal).toBe(ADMIN.id);
      expect(a.detail).toContain(`(a step of workflow ${op.id})`);
    }
  });

  it('runs a plan with nothing destructive without asking', async () => {
    const r = rig({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const { view } = await runWorkflow(
      r,
      { actions: ['commission'], machines: [{ hostname: 'new-01' }] },
      {},
      { confirmMode: 'token' },
    );
    expect(view.state).toBe('succeeded');
  });
});

describe('what MAAS cannot do', () => {
  it('set_bios changes nothing and says so; set_boot_order sets the boot disk and says the boot order cannot be set', async () => {
    const r = rig();
    const host = readyHosts(r.sim, 1)[0] as string;
    const disks = node(r.sim, host).blockDevices.filter((d) => d.type === 'physical');
    const other = disks.find((d) => d.id !== disks[0]?.id) ?? disks[0];
    const { view } = await runWorkflow(r, {
      actions: ['set_bios', 'set_boot_order'],
      machines: [
        {
          hostname: host,
          bios: { virtualization: 'on' },
          boot_disk: other?.name,
          boot_order: ['pxe', 'disk'],
        },
      ],
    });
    const [bios, boot] = view.hosts[0]?.steps ?? [];
    expect(bios).toMatchObject({ state: 'unsupported' });
    expect(bios?.note).toMatch(
      /MAAS has no API for BIOS or firmware settings, so nothing was changed \(virtualization not applied\)/,
    );
    expect(boot?.note).toContain('MAAS cannot set a firmware boot order');
    expect(writes(r.sim, 'set_bios')).toEqual([]);
    expect(view.hosts[0]?.result).toBe('succeeded');
  });
});

describe('cancelling', () => {
  it('starts no further step once cancelled; MAAS finishes what it was doing', async () => {
    const r = rig();
    const tool = (await import('../../../src/tools/index.ts')).findTool('workflow_cancel');
    const run = runWorkflow(r, { actions: ['commission', 'deploy'], machines: [{ hostname: 'new-01' }] });
    // Cancel while it commissions.
    const unwatch = r.deps.notify.subscribe({
      progress: (op) => {
        if (op.kind === 'workflow' && op.targets[0]?.status === 'Commissioning' && tool) {
          unwatch();
          void (async () => {
            const { runTool } = await import('../../../src/core/invoke.ts');
            await runTool(tool, { id: op.id }, { deps: r.deps, principal: ADMIN });
          })();
        }
      },
    });
    const { view } = await run;
    expect(view.state).toBe('cancelled');
    expect(view.hosts[0]?.steps?.map((s) => s.state)).toEqual(['cancelled', 'cancelled']);
    expect(writes(r.sim, 'deploy')).toEqual([]);
  });
});
