/**
 * Workflow runs against the simulator: the SDK's use cases, 40 hosts at once with one failing, retries on MAAS's
 * 503s (also a 503 that hid a write MAAS made), giving up, step timeouts, a dry run that writes nothing, the one
 * confirmation of a plan, cancellation, and what MAAS cannot do said plainly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NodeStatus } from '../../../src/maas/status.ts';
import { ADMIN, node, readyHosts } from '../../helpers.ts';
import { MAC, type Rig, runWorkflow, workflowRig, writes } from './rig.ts';

const rigs: Rig[] = [];
afterEach(() => {
  for (const r of rigs.splice(0)) r.close();
});
function rig(...a: Parameters<typeof workflowRig>): Rig {
  const r = workflowRig(...a);
  rigs.push(r);
  return r;
}

describe('the SDK use cases', () => {
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
    expect(r.sim.state.machineByHostname('db-01')).toBeUndefined();
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
        const n = r.sim.state.machineByHostname('node-07');
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
