import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import { SimStatus as S } from '../../src/sim/index.ts';
import { createSimulator } from '../../src/sim/simulator.ts';
import { call, force, getMachine, json, op, record, sid, useClock } from './helpers.ts';

const MIN = 60_000;

function setup(machines = 24) {
  const clock = new ManualClock();
  const sim = useClock(createSimulator({ clock, machines }), clock);
  return { sim, clock, admin: sim.users.admin };
}

interface EventsPage {
  count: number;
  events: { type: string; level: string; description: string; id: number }[];
}

async function eventTypes(
  sim: ReturnType<typeof setup>['sim'],
  hostname: string,
  level = 'INFO',
): Promise<string[]> {
  const res = await call(
    sim,
    sim.users.admin,
    'GET',
    `events/?op=query&hostname=${hostname}&level=${level}&limit=50`,
  );
  const page = await json<EventsPage>(res);
  return page.events.map((e) => e.type).reverse();
}

describe('asynchronous completion', () => {
  it('deploys a Ready machine through the PXE/install steps to Deployed in about 8 minutes', async () => {
    const { sim, clock, admin } = setup();
    const res = await op(sim, admin, 'web-01', 'deploy', { distro_series: 'noble' });
    expect(res.status).toBe(200);
    const started = await json<Record<string, unknown>>(res);
    expect(started).toMatchObject({
      status: 9,
      status_name: 'Deploying',
      owner: 'admin',
      osystem: 'ubuntu',
      distro_series: 'noble',
      status_message: 'Deploying',
      hwe_kernel: 'ga-24.04',
    });
    const seen: string[] = [];
    for (let i = 0; i < 54; i++) {
      await clock.advance(10_000);
      const m = await getMachine(sim, admin, 'web-01');
      if (m.status_message && seen[seen.length - 1] !== m.status_message) seen.push(m.status_message);
    }
    expect(seen).toEqual([
      'Deploying',
      'Performing PXE boot',
      'Loading ephemeral',
      'Installing OS',
      'Configuring OS',
      'Rebooting',
      'Deployed',
    ]);
    const done = await getMachine(sim, admin, 'web-01');
    expect(done).toMatchObject({ status: 6, status_name: 'Deployed', power_state: 'on', owner: 'admin' });
    expect((done.ip_addresses as string[]).some((ip) => ip.startsWith('10.10.0.'))).toBe(true);
    expect(await eventTypes(sim, 'web-01')).toEqual(
      expect.arrayContaining([
        'Deploying',
        'Performing PXE boot',
        'Loading ephemeral',
        'Installing OS',
        'Configuring OS',
        'Rebooting',
        'Deployed',
      ]),
    );
    expect(await eventTypes(sim, 'web-01', 'DEBUG')).toContain('User starting deployment');
    expect(await eventTypes(sim, 'web-01')).not.toContain('User starting deployment');
  });

  it('ends a deployment in Failed deployment with a readable error when failNext is armed', async () => {
    const { sim, clock, admin } = setup();
    sim.faults.failNext(sid(sim, 'web-01'), 'deploy');
    await op(sim, admin, 'web-01', 'deploy');
    await clock.advance(10 * MIN);
    const m = await getMachine(sim, admin, 'web-01');
    expect(m).toMatchObject({
      status: 11,
      status_name: 'Failed deployment',
      error_description: 'Installation failed (refer to the installation log for more information).',
      status_message:
        'Failed deployment - Installation failed (refer to the installation log for more information).',
    });
    const events = await json<EventsPage>(
      await call(sim, admin, 'GET', `events/?op=query&hostname=web-01&level=ERROR`),
    );
    expect(events.events[0]).toMatchObject({ type: 'Failed deployment', level: 'ERROR' });
  });

  it('commissions a New machine through testing to Ready, discovering its hardware', async () => {
    const { sim, clock, admin } = setup();
    const before = await getMachine(sim, admin, 'new-01');
    expect(before).toMatchObject({
      cpu_count: 0,
      memory: 0,
      commissioning_status: -1,
      commissioning_status_name: 'Unknown',
    });
    const res = await op(sim, admin, 'new-01', 'commission');
    expect(await json(res)).toMatchObject({ status: 1, status_name: 'Commissioning', owner: 'admin' });
    await clock.advance(5 * MIN);
    expect(await getMachine(sim, admin, 'new-01')).toMatchObject({
      status: 21,
      status_name: 'Testing',
      commissioning_status: 2,
    });
    await clock.advance(2 * MIN);
    const m = await getMachine(sim, admin, 'new-01');
    expect(m).toMatchObject({
      status: 4,
      status_name: 'Ready',
      owner: null,
      power_state: 'off',
      testing_status: 2,
      status_message: 'Ready',
    });
    expect(m.cpu_count).toBeGreaterThan(0);
    expect((m.blockdevice_set as unknown[]).length).toBeGreaterThan(0);
    expect((m.hardware_info as Record<string, string>).system_vendor).not.toBe('Unknown');
  });

  it('fails commissioning, or the tests after it, when armed', async () => {
    const { sim, clock, admin } = setup();
    sim.faults.failNext(sid(sim, 'new-01'), 'commission', 'lshw crashed');
    sim.faults.failNext(sid(sim, 'new-02'), 'test');
    await op(sim, admin, 'new-01', 'commission');
    await op(sim, admin, 'new-02', 'commission');
    await clock.advance(10 * MIN);
    expect(await getMachine(sim, admin, 'new-01')).toMatchObject({
      status_name: 'Failed commissioning',
      error_description: 'lshw crashed',
      commissioning_status_name: 'Failed',
    });
    expect(await getMachine(sim, admin, 'new-02')).toMatchObject({
      status_name: 'Failed testing',
      testing_status_name: 'Failed',
    });
  });

  it('skips the testing phase when testing_scripts=none', async () => {
    const { sim, clock, admin } = setup();
    await op(sim, admin, 'new-01', 'commission', { testing_scripts: 'none' });
    await clock.advance(5 * MIN);
    expect((await getMachine(sim, admin, 'new-01')).status_name).toBe('Ready');
  });

  it('releases a powered-on Deployed machine via Releasing to Ready, clearing owner, OS and annotations', async () => {
    const { sim, clock, admin } = setup();
    await op(sim, admin, 'web-04', 'set_workload_annotations', { app: 'nginx' });
    const res = await op(sim, admin, 'web-04', 'release', { comment: 'done' });
    expect(await json(res)).toMatchObject({
      status_name: 'Releasing',
      owner: 'admin',
      status_message: 'Releasing',
    });
    await clock.advance(MIN);
    expect(await getMachine(sim, admin, 'web-04')).toMatchObject({
      status_name: 'Ready',
      owner: null,
      osystem: '',
      distro_series: '',
      owner_data: {},
      workload_annotations: {},
      power_state: 'off',
      status_message: 'Released',
    });
  });

  it('releases a powered-off machine to Ready at once', async () => {
    const { sim, admin } = setup();
    const res = await op(sim, admin, 'web-05', 'release');
    expect(await json(res)).toMatchObject({ status_name: 'Ready', owner: null });
  });

  it('releases a never-commissioned machine to New', async () => {
    const { sim, clock, admin } = setup();
    force(sim, 'web-01', S.DEPLOYED, 'admin');
    sim.control.setMachine('web-01', { power: 'on' });
    record(sim, 'web-01').scripts.commissioning = -1;
    await op(sim, admin, 'web-01', 'release');
    await clock.advance(MIN);
    expect((await getMachine(sim, admin, 'web-01')).status_name).toBe('New');
  });

  it('ends a release in Releasing failed when armed', async () => {
    const { sim, clock, admin } = setup();
    sim.faults.failNext(sid(sim, 'db-01'), 'release');
    await op(sim, admin, 'db-01', 'release');
    await clock.advance(2 * MIN);
    expect(await getMachine(sim, admin, 'db-01')).toMatchObject({
      status: 13,
      status_name: 'Releasing failed',
    });
  });

  it('erases disks on release, then becomes Ready; or Failed disk erasing when armed', async () => {
    const { sim, clock, admin } = setup();
    const res = await op(sim, admin, 'web-04', 'release', { erase: 'true', quick_erase: 'true' });
    expect(await json(res)).toMatchObject({
      status_name: 'Disk erasing',
      status_message: 'Erasing disk - quick erase',
    });
    sim.faults.failNext(sid(sim, 'db-01'), 'erase');
    await op(sim, admin, 'db-01', 'release', { secure_erase: '1' });
    await clock.advance(3 * MIN);
    expect((await getMachine(sim, admin, 'web-04')).status_name).toBe('Ready');
    expect((await getMachine(sim, admin, 'db-01')).status_name).toBe('Disk erasing');
    await clock.advance(5 * MIN);
    expect(await getMachine(sim, admin, 'db-01')).toMatchObject({ status_name: 'Failed disk erasing' });
  });

  it('enters rescue mode and exits back to the previous status', async () => {
    const { sim, clock, admin } = setup();
    expect(await json(await op(sim, admin, 'db-01', 'rescue_mode'))).toMatchObject({
      status_name: 'Entering rescue mode',
    });
    await clock.advance(2 * MIN);
    expect(await getMachine(sim, admin, 'db-01')).toMatchObject({
      status_name: 'Rescue mode',
      status_message: 'Rescue mode',
    });
    expect(await json(await op(sim, admin, 'db-01', 'exit_rescue_mode'))).toMatchObject({
      status_name: 'Exiting rescue mode',
    });
    await clock.advance(2 * MIN);
    expect(await getMachine(sim, admin, 'db-01')).toMatchObject({
      status_name: 'Deployed',
      power_state: 'on',
    });
    // The seeded k8s-04 is already in rescue mode from Deployed.
    await op(sim, admin, 'k8s-04', 'exit_rescue_mode');
    await clock.advance(2 * MIN);
    expect((await getMachine(sim, admin, 'k8s-04')).status_name).toBe('Deployed');
  });

  it('fails to enter or exit rescue mode when armed', async () => {
    const { sim, clock, admin } = setup();
    sim.faults.failNext(sid(sim, 'web-01'), 'rescue');
    sim.faults.failNext(sid(sim, 'k8s-04'), 'exit_rescue');
    await op(sim, admin, 'web-01', 'rescue_mode');
    await op(sim, admin, 'k8s-04', 'exit_rescue_mode');
    await clock.advance(3 * MIN);
    expect((await getMachine(sim, admin, 'web-01')).status_name).toBe('Failed to enter rescue mode');
    expect((await getMachine(sim, admin, 'k8s-04')).status_name).toBe('Failed to exit rescue mode');
  });

  it('tests a machine and returns it to its previous status, or Failed testing when armed', async () => {
    const { sim, clock, admin } = setup();
    expect(await json(await op(sim, admin, 'db-01', 'test'))).toMatchObject({ status_name: 'Testing' });
    expect(await json(await op(sim, admin, 'web-02', 'test'))).toMatchObject({
      status_name: 'Testing',
      owner: 'admin',
    });
    sim.faults.failNext(sid(sim, 'web-06'), 'test', 'memtester found errors');
    await op(sim, admin, 'web-06', 'test');
    await clock.advance(5 * MIN);
    expect((await getMachine(sim, admin, 'db-01')).status_name).toBe('Deployed');
    expect(await getMachine(sim, admin, 'web-02')).toMatchObject({ status_name: 'Ready', owner: null });
    expect(await getMachine(sim, admin, 'web-06')).toMatchObject({
      status_name: 'Failed testing',
      error_description: 'memtester found errors',
    });
  });

  it('changes power_state a few seconds after power_off / power_on, and answers null for a manual machine', async () => {
    const { sim, clock, admin } = setup();
    const off = await op(sim, admin, 'web-04', 'power_off', { stop_mode: 'hard' });
    expect(await json(off)).toMatchObject({ power_state: 'on' });
    await clock.advance(6_000);
    expect((await getMachine(sim, admin, 'web-04')).power_state).toBe('off');
    expect(await json(await op(sim, admin, 'web-04', 'query_power_state', {}, 'GET'))).toEqual({
      state: 'off',
    });
    await op(sim, admin, 'web-04', 'power_on');
    await clock.advance(6_000);
    expect((await getMachine(sim, admin, 'web-04')).power_state).toBe('on');
    force(sim, 'edge-02', S.DEPLOYED, 'admin');
    const manual = await op(sim, admin, 'edge-02', 'power_off');
    expect(manual.status).toBe(200);
    expect(await manual.text()).toBe('null');
  });

  it('refuses power_on for an unallocated machine and deploys an Allocated one', async () => {
    const { sim, admin } = setup();
    const res = await op(sim, admin, 'web-01', 'power_on');
    expect(res.status).toBe(409);
    expect(await res.text()).toBe("Can't start node: it hasn't been allocated.");
    expect(await json(await op(sim, admin, 'web-05', 'power_on'))).toMatchObject({
      status_name: 'Deploying',
    });
  });

  it("aborts each abortable operation to MAAS's result and cancels its timers", async () => {
    const { sim, clock, admin } = setup();
    await op(sim, admin, 'new-01', 'commission');
    await op(sim, admin, 'web-01', 'deploy');
    await op(sim, admin, 'db-01', 'test');
    await op(sim, admin, 'web-04', 'release', { erase: 'true' });
    await clock.advance(30_000);
    expect(await json(await op(sim, admin, 'new-01', 'abort'))).toMatchObject({
      status_name: 'New',
      owner: null,
    });
    expect(await json(await op(sim, admin, 'web-01', 'abort'))).toMatchObject({
      status_name: 'Allocated',
      owner: 'admin',
    });
    expect(await json(await op(sim, admin, 'db-01', 'abort'))).toMatchObject({ status_name: 'Deployed' });
    expect(await json(await op(sim, admin, 'web-04', 'abort'))).toMatchObject({
      status_name: 'Failed disk erasing',
    });
    await clock.advance(30 * MIN);
    for (const [h, s] of [
      ['new-01', 'New'],
      ['web-01', 'Allocated'],
      ['db-01', 'Deployed'],
      ['web-04', 'Failed disk erasing'],
    ]) {
      expect((await getMachine(sim, admin, h as string)).status_name).toBe(s);
    }
    expect(await eventTypes(sim, 'web-01')).toContain('Aborted deployment');
  });

  it('completes the seeded in-progress machines on their own', async () => {
    const { sim, clock, admin } = setup();
    expect((await getMachine(sim, admin, 'lab-01')).status_name).toBe('Commissioning');
    expect((await getMachine(sim, admin, 'lab-02')).status_name).toBe('Deploying');
    await clock.advance(10 * MIN);
    expect((await getMachine(sim, admin, 'lab-01')).status_name).toBe('Ready');
    expect(await getMachine(sim, admin, 'lab-02')).toMatchObject({ status_name: 'Deployed', owner: 'admin' });
  });

  it('settle() completes every pending transition at once, even on the system clock', async () => {
    const sim = createSimulator();
    await op(sim, sim.users.admin, 'web-01', 'deploy');
    expect(sim.engine.pending).toBeGreaterThan(0);
    await sim.settle();
    expect(sim.engine.pending).toBe(0);
    expect((await getMachine(sim, sim.users.admin, 'web-01')).status_name).toBe('Deployed');
    expect((await getMachine(sim, sim.users.admin, 'lab-01')).status_name).toBe('Ready');
    sim.close();
  });

  it('scales every duration by timeScale', async () => {
    const clock = new ManualClock();
    const sim = useClock(createSimulator({ clock, timeScale: 0.01 }), clock);
    await op(sim, sim.users.admin, 'web-01', 'deploy');
    await clock.advance(6_000);
    expect((await getMachine(sim, sim.users.admin, 'web-01')).status_name).toBe('Deployed');
  });
});
