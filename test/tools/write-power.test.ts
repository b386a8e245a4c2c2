/**
 * Power on, off and cycle against the simulator through a real MCP client (MAAS_MCP_CONFIRM=off). The BMC's
 * answer lands on the simulator's ManualClock, so tests move the clock to see it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/core/result.ts';
import { NodeStatus as S } from '../../src/maas/status.ts';
import { CYCLE_OFF_TIMEOUT_MS } from '../../src/tools/power.ts';
import { call } from '../helpers.ts';
import {
  drive,
  formOf,
  MACHINES,
  machinePath,
  node,
  opOf,
  posts,
  powerOnWitness,
  runCleanups,
  setup,
  writes,
} from './write-helpers.ts';

afterEach(runCleanups);

describe('machine_power_on', () => {
  it('powers on a Deployed machine that is off', async () => {
    const { sim, client, clock } = await setup();
    sim.control.setMachine('web-04', { power: 'off' });
    const n = node(sim, 'web-04');
    const res = await call<ActionResult>(client, 'machine_power_on', {
      machines: 'web-04',
      comment: 'back up',
    });
    expect(res.data.succeeded[0]).toMatchObject({
      hostname: 'web-04',
      before: 'Deployed',
      after: 'Deployed',
    });
    expect(formOf(sim, machinePath(sim, 'web-04'), 'power_on')).toEqual([['comment', 'back up']]);
    expect(res.data.note).toContain('The BMC powers it on in the background');
    await clock.advance(5_000);
    expect(n.powerState).toBe('on');
    expect(n.status).toBe(S.DEPLOYED);
  });

  it('refuses an Allocated machine, because MAAS would deploy it, and an unallocated one', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_power_on', { machines: ['web-05', 'web-01'] });
    expect(res.isError).toBe(true);
    expect(res.data.failed.map((f) => f.error)).toEqual([
      'cannot power on web-05: it is Allocated, and powering it on would make MAAS deploy it — deploy it with machine_deploy',
      'cannot power on web-01: it is Ready and not allocated to anyone, and MAAS powers on only allocated machines — deploy it with machine_deploy',
    ]);
    expect(posts(sim)).toHaveLength(0);
    expect(node(sim, 'web-05').status).toBe(S.ALLOCATED);
  });

  it('gives one next step that leads somewhere: deploy, after whatever makes the machine Ready', async () => {
    const { sim, client } = await setup();
    const hosts = ['web-01', 'web-05', 'new-01'];
    const res = await call<ActionResult>(client, 'machine_power_on', { machines: hosts });
    const advice = res.data.failed.map((f) => f.error);
    expect(advice).toEqual([
      'cannot power on web-01: it is Ready and not allocated to anyone, and MAAS powers on only allocated machines — deploy it with machine_deploy',
      'cannot power on web-05: it is Allocated, and powering it on would make MAAS deploy it — deploy it with machine_deploy',
      'cannot power on new-01: it is New and not allocated to anyone, and MAAS powers on only allocated machines — commission it first, then deploy it with machine_deploy',
    ]);
    // Never the loop Ready → "allocate it" → Allocated → "use machine_deploy".
    for (const a of advice) expect(a.split(' — ')[1]).not.toMatch(/allocate|machine_allocate/);
    // Following the advice works: machine_deploy accepts the Ready and the Allocated machine.
    const deploy = await call<ActionResult>(client, 'machine_deploy', { machines: ['web-01', 'web-05'] });
    expect(deploy.data.succeeded.map((r) => r.hostname)).toEqual(['web-01', 'web-05']);
    expect(posts(sim).map(opOf)).toEqual(['deploy', 'deploy']);
  });

  it('skips a machine that is already on', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_power_on', { machines: 'db-01' });
    expect(res.isError).toBe(false);
    expect(res.data.skipped[0]?.reason).toBe('already on');
    expect(posts(sim)).toHaveLength(0);
  });
});

describe('machine_power_off', () => {
  it('asks the OS to shut down by default (stop_mode soft)', async () => {
    const { sim, client, clock } = await setup();
    const res = await call<ActionResult>(client, 'machine_power_off', { machines: 'db-01' });
    expect(res.data.succeeded[0]).toMatchObject({ hostname: 'db-01', before: 'Deployed', after: 'Deployed' });
    expect(formOf(sim, machinePath(sim, 'db-01'), 'power_off')).toEqual([['stop_mode', 'soft']]);
    expect(node(sim, 'db-01').powerState).toBe('on');
    await clock.advance(15_000);
    expect(node(sim, 'db-01').powerState).toBe('off');
    expect(node(sim, 'db-01').status).toBe(S.DEPLOYED);
  });

  it('cuts the power with stop_mode hard', async () => {
    const { sim, client, clock } = await setup();
    await call<ActionResult>(client, 'machine_power_off', {
      machines: 'web-04',
      stop_mode: 'hard',
      comment: 'maintenance',
    });
    expect(formOf(sim, machinePath(sim, 'web-04'), 'power_off')).toEqual([
      ['stop_mode', 'hard'],
      ['comment', 'maintenance'],
    ]);
    await clock.advance(5_000);
    expect(node(sim, 'web-04').powerState).toBe('off');
  });

  it('says in the preview what each mode does', async () => {
    const { client } = await setup({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const soft = await call<ActionResult>(client, 'machine_power_off', { machines: 'db-01' });
    expect(soft.data.preview?.[0]?.effect).toBe('ask the OS to shut down, then power off; it stays Deployed');
    const hard = await call<ActionResult>(client, 'machine_power_off', {
      machines: 'db-01',
      stop_mode: 'hard',
    });
    expect(hard.data.preview?.[0]?.effect).toBe(
      'cut the power now (running work is lost); it stays Deployed',
    );
  });

  it('skips a machine that is already off', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_power_off', { machines: 'web-01' });
    expect(res.data.skipped[0]?.reason).toBe('already off');
    expect(posts(sim)).toHaveLength(0);
  });

  it('says plainly when the power type cannot stop the machine (manual power)', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_power_off', { machines: 'edge-02' });
    expect(res.isError).toBe(true);
    const error = res.data.failed[0]?.error ?? '';
    expect(error).toMatch(/^cannot power off edge-02: /);
    expect(error).toBe(
      'cannot power off edge-02: its power type (manual) gives MAAS no way to stop it — switch it off by hand',
    );
    // MAAS was asked (it is the one that knows) and answered null.
    expect(writes(sim)).toEqual([[machinePath(sim, 'edge-02'), 'power_off']]);
  });
});

describe('machine_power_cycle', () => {
  it('cuts the power, waits until MAAS reports the machine off, then powers it on', async () => {
    const seen = new Map<string, string>();
    const { sim, client, clock } = await setup({ fetch: powerOnWitness(seen) });
    const n = node(sim, 'db-01');
    const res = await drive(clock, call<ActionResult>(client, 'machine_power_cycle', { machines: 'db-01' }));
    expect(res.isError).toBe(false);
    expect(res.data.succeeded[0]).toMatchObject({ hostname: 'db-01', before: 'Deployed', after: 'Deployed' });
    const ops = posts(sim).map(opOf);
    expect(ops).toEqual(['power_off', 'power_on']);
    expect(formOf(sim, machinePath(sim, 'db-01'), 'power_off')).toEqual([
      ['stop_mode', 'hard'],
      ['comment', 'power cycle'],
    ]);
    expect(formOf(sim, machinePath(sim, 'db-01'), 'power_on')).toEqual([['comment', 'power cycle']]);
    expect(seen.get(n.systemId)).toBe('off');
    // It polled the machine (batched list reads by id) between the two writes.
    const between = sim.requests.entries.filter(
      (e) =>
        e.method === 'GET' && e.path === MACHINES && e.query.some(([k, v]) => k === 'id' && v === n.systemId),
    );
    expect(between.length).toBeGreaterThanOrEqual(2);
    await clock.advance(5_000);
    expect(n.powerState).toBe('on');
  });

  it('waits for many machines with one batched read per poll, not one request per machine', async () => {
    const { sim, client, clock } = await setup();
    const deployed = ['db-01', 'web-04'];
    sim.requests.clear();
    const res = await drive(clock, call<ActionResult>(client, 'machine_power_cycle', { machines: deployed }));
    expect(res.data.succeeded.map((r) => r.hostname).sort()).toEqual(deployed);
    const polls = sim.requests.entries.filter((e) => e.method === 'GET' && e.path === MACHINES);
    // Every poll after resolution asks for the waiting machines together.
    const pollIds = polls.slice(1).map((e) => e.query.filter(([k]) => k === 'id').length);
    expect(pollIds.length).toBeGreaterThanOrEqual(1);
    expect(pollIds[0]).toBe(2);
  });

  it('only powers on a machine that is already off', async () => {
    const { sim, client, clock } = await setup();
    sim.control.setMachine('web-04', { power: 'off' });
    const res = await drive(clock, call<ActionResult>(client, 'machine_power_cycle', { machines: 'web-04' }));
    expect(res.data.succeeded).toHaveLength(1);
    expect(posts(sim).map(opOf)).toEqual(['power_on']);
  });

  it('gives up with a clear message, without powering on, when the machine never reports off', async () => {
    const { sim, client, clock } = await setup();
    const n = node(sim, 'db-01');
    // A BMC that accepts the power-off but never reports the machine off.
    Object.defineProperty(n, 'powerState', { get: () => 'on', set: () => undefined, configurable: true });
    const start = clock.now();
    const res = await drive(clock, call<ActionResult>(client, 'machine_power_cycle', { machines: 'db-01' }));
    expect(res.isError).toBe(true);
    expect(res.data.failed[0]?.error).toBe(
      'cannot power cycle db-01: it did not report off within 120 s, so it was not powered on again — check it with machine_power_query',
    );
    expect(clock.now() - start).toBeGreaterThanOrEqual(CYCLE_OFF_TIMEOUT_MS);
    expect(posts(sim).map(opOf)).toEqual(['power_off']);
  });

  it('refuses machines it could not power on again', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_power_cycle', {
      machines: ['web-05', 'web-01', 'web-03'],
    });
    expect(res.data.failed.map((f) => f.error)).toEqual([
      'cannot power cycle web-05: it is Allocated, and powering it on would make MAAS deploy it — deploy it with machine_deploy',
      'cannot power cycle web-01: it is Ready and not allocated to anyone, and MAAS powers on only allocated machines — deploy it with machine_deploy',
      'web-03 is locked — unlock it first',
    ]);
    expect(posts(sim)).toHaveLength(0);
  });
});
