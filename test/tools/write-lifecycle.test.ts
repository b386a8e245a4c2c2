/**
 * The life-cycle tools against the simulator through a real MCP client (MAAS_MCP_CONFIRM=off): the exact MAAS
 * request, the status right after, the status once MAAS finished, each skip reason and each pre-check refusal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/core/result.ts';
import { NodeStatus as S } from '../../src/maas/status.ts';
import { call } from '../helpers.ts';
import { formOf, hosts, machinePath, node, posts, runCleanups, setup, sid, writes } from './write-helpers.ts';

afterEach(runCleanups);

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('machine_commission', () => {
  it('commissions a New machine with the scripts comma-joined and the flags as 1/0, and it ends Ready', async () => {
    const { sim, client } = await setup();
    const n = node(sim, 'new-01');
    const res = await call<ActionResult>(client, 'machine_commission', {
      machines: 'new-01',
      commissioning_scripts: ['update_firmware', 'configure_hba'],
      testing_scripts: 'smartctl-validate,memtester',
      enable_ssh: true,
      skip_networking: false,
      skip_storage: true,
    });
    expect(res.isError).toBe(false);
    expect(res.data.status).toBe('done');
    expect(res.data.succeeded).toEqual([
      { hostname: 'new-01', system_id: n.systemId, before: 'New', after: 'Commissioning' },
    ]);
    expect(writes(sim)).toEqual([[machinePath(sim, 'new-01'), 'commission']]);
    expect(formOf(sim, machinePath(sim, 'new-01'), 'commission')).toEqual([
      ['commissioning_scripts', 'update_firmware,configure_hba'],
      ['testing_scripts', 'smartctl-validate,memtester'],
      ['enable_ssh', '1'],
      ['skip_networking', '0'],
      ['skip_storage', '1'],
    ]);
    expect(n.status).toBe(S.COMMISSIONING);
    expect(n.owner).toBe('admin');
    expect(res.data.note).toContain('MAAS continues commissioning in the background');
    expect(res.text).toContain('new-01 (');
    expect(res.text).toContain('New → Commissioning');
    await sim.settle();
    expect(n.status).toBe(S.READY);
    expect(n.owner).toBeNull();
    expect(n.cpuCount).toBeGreaterThan(0);
  });

  it('sends no optional field it was not given', async () => {
    const { sim, client } = await setup();
    await call<ActionResult>(client, 'machine_commission', { machines: 'web-01' });
    expect(formOf(sim, machinePath(sim, 'web-01'), 'commission')).toEqual([]);
  });

  it('skips a machine that is already commissioning', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_commission', { machines: 'lab-01' });
    expect(res.isError).toBe(false);
    expect(res.data.skipped).toEqual([
      {
        hostname: 'lab-01',
        system_id: sid(sim, 'lab-01'),
        status: 'Commissioning',
        reason: 'already commissioning',
      },
    ]);
    expect(posts(sim)).toHaveLength(0);
  });

  it('refuses what MAAS would refuse, saying what to do first, and sends nothing', async () => {
    const { sim, client, deps } = await setup();
    // An admin clears web-02's power type (PUT machines/{id}/ power_type=''), before the call under test.
    await deps.maas.updateMachine(sid(sim, 'web-02'), { power_type: '' });
    expect(node(sim, 'web-02').powerType).toBe('');
    sim.requests.clear();
    const res = await call<ActionResult>(client, 'machine_commission', {
      machines: ['web-04', 'k8s-04', 'lab-02', 'stor-02', 'web-02', 'web-03'],
    });
    // Failed commissioning is commissionable: stor-02 runs, so the call as a whole is not an error.
    expect(res.isError).toBe(false);
    expect(hosts(res.data.succeeded)).toEqual(['stor-02']);
    expect(res.data.failed.map((f) => f.error)).toEqual([
      'cannot commission web-04: it is Deployed — release it first',
      'cannot commission k8s-04: it is Rescue mode — exit rescue mode first',
      'cannot commission lab-02: it is Deploying — wait for it to finish, or abort it',
      'cannot commission web-02: it has no power type — set one with machine_update first',
      'web-03 is locked — unlock it first',
    ]);
    expect(writes(sim)).toEqual([[machinePath(sim, 'stor-02'), 'commission']]);
  });

  it('says isError only when nothing at all succeeded', async () => {
    const { client } = await setup();
    const res = await call<ActionResult>(client, 'machine_commission', { machines: ['web-04', 'k8s-01'] });
    expect(res.isError).toBe(true);
    expect(res.data.succeeded).toHaveLength(0);
    expect(res.data.summary).toBe('commission: 0 done, 2 failed');
  });
});

describe('machine_test', () => {
  it('tests a Ready machine with the given scripts; it goes back to Ready', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_test', {
      machines: 'web-01',
      testing_scripts: ['smartctl-validate', 'memtester'],
      enable_ssh: false,
    });
    expect(res.data.succeeded[0]).toMatchObject({ hostname: 'web-01', before: 'Ready', after: 'Testing' });
    expect(formOf(sim, machinePath(sim, 'web-01'), 'test')).toEqual([
      ['testing_scripts', 'smartctl-validate,memtester'],
      ['enable_ssh', '0'],
    ]);
    expect(res.data.note).toContain('results show in machine_get');
    await sim.settle();
    expect(node(sim, 'web-01').status).toBe(S.READY);
  });

  it('tests a Deployed machine and leaves it Deployed', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_test', { machines: 'web-04' });
    expect(res.data.succeeded[0]).toMatchObject({ before: 'Deployed', after: 'Testing' });
    await sim.settle();
    expect(node(sim, 'web-04').status).toBe(S.DEPLOYED);
  });

  it('skips a machine already testing and refuses one that is busy', async () => {
    const { sim, client } = await setup();
    await call<ActionResult>(client, 'machine_test', { machines: 'web-01' });
    sim.requests.clear();
    const res = await call<ActionResult>(client, 'machine_test', { machines: ['web-01', 'lab-02'] });
    expect(res.data.skipped.map((s) => [s.hostname, s.reason])).toEqual([['web-01', 'already testing']]);
    expect(res.data.failed.map((f) => f.error)).toEqual([
      'cannot test lab-02: it is Deploying — wait for it to finish, or abort it',
    ]);
    expect(posts(sim)).toHaveLength(0);
  });

  it("renders MAAS's own refusal like a pre-check: a New machine that was never commissioned", async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_test', { machines: 'new-01' });
    expect(res.isError).toBe(true);
    expect(res.data.failed).toEqual([
      {
        hostname: 'new-01',
        system_id: sid(sim, 'new-01'),
        status: 'New',
        error: 'cannot test new-01: Unable to start machine testing; this node has never been commissioned.',
      },
    ]);
    expect(node(sim, 'new-01').status).toBe(S.NEW);
  });
});

describe('machine_deploy', () => {
  it('deploys a Ready machine in one request (MAAS allocates it inside the deploy), and base64-encodes user_data', async () => {
    const { sim, client } = await setup();
    const n = node(sim, 'web-01');
    const userData =
      '#cloud-config\npackages: [nginx]\nwrite_files:\n  - path: /etc/motd\n    content: "café ☕"\n';
    const res = await call<ActionResult>(client, 'machine_deploy', {
      machines: 'web-01',
      distro_series: 'jammy',
      hwe_kernel: 'hwe-22.04',
      user_data: userData,
      comment: 'web tier',
    });
    expect(res.isError).toBe(false);
    expect(res.data.succeeded).toEqual([
      { hostname: 'web-01', system_id: n.systemId, before: 'Ready', after: 'Deploying' },
    ]);
    expect(writes(sim)).toEqual([[machinePath(sim, 'web-01'), 'deploy']]);
    expect(formOf(sim, machinePath(sim, 'web-01'), 'deploy')).toEqual([
      ['distro_series', 'jammy'],
      ['hwe_kernel', 'hwe-22.04'],
      ['user_data', b64(userData)],
      ['comment', 'web tier'],
    ]);
    expect(Buffer.from(n.userData ?? '', 'base64').toString('utf8')).toBe(userData);
    expect(n.owner).toBe('admin');
    expect(n.distroSeries).toBe('jammy');
    expect(res.data.note).toContain('MAAS continues deploying in the background');
    await sim.settle();
    expect(n.status).toBe(S.DEPLOYED);
    expect(n.powerState).toBe('on');
  });

  it('deploys an Allocated machine without allocating it again', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_deploy', { machines: 'web-05' });
    expect(res.data.succeeded[0]).toMatchObject({
      hostname: 'web-05',
      before: 'Allocated',
      after: 'Deploying',
    });
    expect(writes(sim)).toEqual([[machinePath(sim, 'web-05'), 'deploy']]);
    expect(formOf(sim, machinePath(sim, 'web-05'), 'deploy')).toEqual([]);
    await sim.settle();
    expect(node(sim, 'web-05').status).toBe(S.DEPLOYED);
  });

  it('skips a machine already deploying', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_deploy', { machines: 'lab-02' });
    expect(res.isError).toBe(false);
    expect(res.data.skipped[0]?.reason).toBe('already deploying (abort it first to deploy something else)');
    expect(posts(sim)).toHaveLength(0);
  });

  it('refuses every status MAAS cannot deploy from, with the next step to take', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_deploy', {
      machines: ['web-04', 'db-03', 'new-01', 'gpu-02', 'k8s-04', 'lab-01', 'web-03'],
    });
    expect(res.isError).toBe(true);
    expect(res.data.failed.map((f) => f.error)).toEqual([
      'cannot deploy web-04: it is Deployed — release it first',
      'cannot deploy db-03: it is Failed deployment — release it first',
      'cannot deploy new-01: it is New — commission it first',
      'cannot deploy gpu-02: it is Broken — mark it fixed first',
      'cannot deploy k8s-04: it is Rescue mode — exit rescue mode first',
      'cannot deploy lab-01: it is Commissioning — wait for it to finish, or abort it',
      'web-03 is locked — unlock it first',
    ]);
    expect(res.text).toContain('failed web-04: cannot deploy web-04: it is Deployed — release it first');
    expect(posts(sim)).toHaveLength(0);
  });

  it("renders MAAS's 400 for a bad series; the machine stays Ready, as MAAS rolls the refused deploy back", async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_deploy', {
      machines: 'web-01',
      distro_series: 'bionic',
    });
    expect(res.isError).toBe(true);
    const error = res.data.failed[0]?.error ?? '';
    expect(error).toMatch(/^cannot deploy web-01: distro_series: 'bionic' is not a valid distro_series\./);
    expect(error).not.toMatch(/allocated/i);
    expect(res.data.failed[0]?.status).toBe('Ready');
    expect(node(sim, 'web-01')).toMatchObject({ status: S.READY, owner: null });
  });

  it('reports Deploying; a deployment MAAS fails later shows in the machine, not in this answer', async () => {
    const { sim, client } = await setup();
    sim.control.failTransition('web-06', 'deploy');
    const res = await call<ActionResult>(client, 'machine_deploy', { machines: 'web-06' });
    expect(res.data.succeeded[0]?.after).toBe('Deploying');
    expect(res.data.note).toContain('Follow it with machine_get');
    await sim.settle();
    expect(node(sim, 'web-06').status).toBe(S.FAILED_DEPLOYMENT);
  });
});

describe('machine_release', () => {
  it('releases with erase: Disk erasing, then Ready with owner and OS cleared', async () => {
    const { sim, client } = await setup();
    const n = node(sim, 'db-01');
    const res = await call<ActionResult>(client, 'machine_release', {
      machines: 'db-01',
      erase: true,
      comment: 'decommissioned',
    });
    expect(res.data.succeeded).toEqual([
      { hostname: 'db-01', system_id: n.systemId, before: 'Deployed', after: 'Disk erasing' },
    ]);
    expect(formOf(sim, machinePath(sim, 'db-01'), 'release')).toEqual([
      ['erase', 'true'],
      ['comment', 'decommissioned'],
    ]);
    expect(res.data.note).toContain('MAAS erases the disks in the background');
    await sim.settle();
    expect(n.status).toBe(S.READY);
    expect(n.owner).toBeNull();
    expect(n.osystem).toBe('');
    expect(n.powerState).toBe('off');
  });

  it('sends secure_erase and quick_erase, each implying erase', async () => {
    const { sim, client } = await setup();
    await call<ActionResult>(client, 'machine_release', {
      machines: 'web-04',
      secure_erase: true,
      quick_erase: true,
    });
    await call<ActionResult>(client, 'machine_release', { machines: 'k8s-01', quick_erase: true });
    expect(formOf(sim, machinePath(sim, 'web-04'), 'release')).toEqual([
      ['erase', 'true'],
      ['secure_erase', 'true'],
      ['quick_erase', 'true'],
    ]);
    expect(formOf(sim, machinePath(sim, 'k8s-01'), 'release')).toEqual([
      ['erase', 'true'],
      ['quick_erase', 'true'],
    ]);
    expect(node(sim, 'web-04').status).toBe(S.DISK_ERASING);
    await sim.settle();
    expect(node(sim, 'web-04').status).toBe(S.READY);
    expect(node(sim, 'k8s-01').status).toBe(S.READY);
  });

  it('says in the preview which kind of erase will happen', async () => {
    const { client } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const secure = await call<ActionResult>(client, 'machine_release', {
      machines: 'web-04',
      secure_erase: true,
      quick_erase: true,
    });
    expect(secure.data.preview?.[0]?.effect).toBe(
      'power off, forget its OS and owner (admin), then securely erase its disks (quick erase where the drive cannot); ends Ready',
    );
    const quick = await call<ActionResult>(client, 'machine_release', {
      machines: 'web-04',
      quick_erase: true,
    });
    expect(quick.data.preview?.[0]?.effect).toContain(', then quick-erase its disks; ends Ready');
    const none = await call<ActionResult>(client, 'machine_release', { machines: 'lab-02' });
    expect(none.data.preview?.[0]?.effect).toBe(
      'stop the deployment, power off, forget its OS and owner (admin); ends Ready',
    );
  });

  it('releases without erase: Releasing, then Ready', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_release', { machines: 'web-04' });
    expect(res.data.succeeded[0]).toMatchObject({ before: 'Deployed', after: 'Releasing' });
    expect(formOf(sim, machinePath(sim, 'web-04'), 'release')).toEqual([]);
    expect(res.data.note).toContain('MAAS finishes releasing in the background');
    await sim.settle();
    expect(node(sim, 'web-04').status).toBe(S.READY);
  });

  it('skips Ready, New and already-releasing machines, each with its reason', async () => {
    const { sim, client } = await setup();
    await call<ActionResult>(client, 'machine_release', { machines: 'db-01', erase: true });
    sim.requests.clear();
    const res = await call<ActionResult>(client, 'machine_release', {
      machines: ['web-01', 'new-01', 'db-01'],
    });
    expect(res.isError).toBe(false);
    expect(res.data.skipped.map((s) => [s.hostname, s.status, s.reason])).toEqual([
      ['web-01', 'Ready', 'already Ready'],
      ['new-01', 'New', 'never allocated (it is New)'],
      ['db-01', 'Disk erasing', 'already releasing'],
    ]);
    expect(res.data.summary).toBe('release: 0 done, 3 skipped');
    expect(posts(sim)).toHaveLength(0);
  });

  it('refuses machines MAAS cannot release yet', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_release', {
      machines: ['lab-01', 'k8s-04', 'web-03'],
    });
    expect(res.data.failed.map((f) => f.error)).toEqual([
      'cannot release lab-01: it is Commissioning — wait for it to finish, or abort it',
      'cannot release k8s-04: it is Rescue mode — exit rescue mode first',
      'web-03 is locked — unlock it first',
    ]);
    expect(posts(sim)).toHaveLength(0);
  });
});

describe('machine_abort', () => {
  it('stops a deployment (back to Allocated) and a commissioning (back to New)', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_abort', {
      machines: ['lab-02', 'lab-01'],
      comment: 'wrong image',
    });
    expect(res.data.succeeded.map((r) => [r.hostname, r.before, r.after])).toEqual([
      ['lab-02', 'Deploying', 'Allocated'],
      ['lab-01', 'Commissioning', 'New'],
    ]);
    expect(formOf(sim, machinePath(sim, 'lab-02'), 'abort')).toEqual([['comment', 'wrong image']]);
    expect(node(sim, 'lab-02').status).toBe(S.ALLOCATED);
    expect(node(sim, 'lab-01').status).toBe(S.NEW);
    await sim.settle();
    expect(node(sim, 'lab-02').status).toBe(S.ALLOCATED);
  });

  it('stops a disk erase: Failed disk erasing', async () => {
    const { sim, client } = await setup();
    await call<ActionResult>(client, 'machine_release', { machines: 'db-01', erase: true });
    const res = await call<ActionResult>(client, 'machine_abort', { machines: 'db-01' });
    expect(res.data.succeeded[0]).toMatchObject({ before: 'Disk erasing', after: 'Failed disk erasing' });
    expect(node(sim, 'db-01').status).toBe(S.FAILED_DISK_ERASING);
  });

  it('skips a machine with nothing to abort', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_abort', { machines: 'web-01' });
    expect(res.data.skipped[0]?.reason).toBe('nothing to abort (it is Ready)');
    expect(posts(sim)).toHaveLength(0);
  });
});

describe('machine_rescue', () => {
  it('enters rescue mode (the default action) and leaves it, back to Deployed', async () => {
    const { sim, client } = await setup();
    const n = node(sim, 'web-04');
    const enter = await call<ActionResult>(client, 'machine_rescue', { machines: 'web-04' });
    expect(enter.data.succeeded[0]).toMatchObject({ before: 'Deployed', after: 'Entering rescue mode' });
    expect(formOf(sim, machinePath(sim, 'web-04'), 'rescue_mode')).toEqual([]);
    expect(enter.data.note).toContain('SSH in as usual once it is in Rescue mode');
    await sim.settle();
    expect(n.status).toBe(S.RESCUE_MODE);
    const exit = await call<ActionResult>(client, 'machine_rescue', { machines: 'web-04', action: 'exit' });
    expect(exit.data.succeeded[0]).toMatchObject({ before: 'Rescue mode', after: 'Exiting rescue mode' });
    expect(formOf(sim, machinePath(sim, 'web-04'), 'exit_rescue_mode')).toEqual([]);
    await sim.settle();
    expect(n.status).toBe(S.DEPLOYED);
  });

  it('skips machines already in (or not in) rescue mode, and refuses a busy one', async () => {
    const { sim, client } = await setup();
    const enter = await call<ActionResult>(client, 'machine_rescue', { machines: ['k8s-04', 'lab-02'] });
    expect(enter.data.skipped.map((s) => s.reason)).toEqual(['already in rescue mode']);
    expect(enter.data.failed.map((f) => f.error)).toEqual([
      'cannot rescue lab-02: it is Deploying — wait for it to finish, or abort it',
    ]);
    const exit = await call<ActionResult>(client, 'machine_rescue', { machines: 'web-01', action: 'exit' });
    expect(exit.data.skipped.map((s) => s.reason)).toEqual(['not in rescue mode']);
    expect(posts(sim)).toHaveLength(0);
  });
});
