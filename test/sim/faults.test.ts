import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import { createSimulator } from '../../src/sim/simulator.ts';
import { call, getMachine, op, useClock } from './helpers.ts';

describe('fault injection', () => {
  it('answers 503 with Retry-After for the next N requests, then normally', async () => {
    const sim = createSimulator();
    sim.faults.unavailable(2, 7);
    for (let i = 0; i < 2; i++) {
      const res = await call(sim, sim.users.admin, 'GET', 'machines/');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(await res.text()).toMatch(
        /^Unable to connect to any rack controller [a-z0-9,]+; no connections available\.$/,
      );
    }
    expect((await call(sim, sim.users.admin, 'GET', 'machines/')).status).toBe(200);
  });

  it('answers 409 with Retry-After to the next POST without applying it', async () => {
    const sim = createSimulator();
    sim.faults.conflict(1, 2);
    expect((await call(sim, sim.users.admin, 'GET', 'version/')).status).toBe(200);
    const res = await op(sim, sim.users.admin, 'web-01', 'deploy');
    expect(res.status).toBe(409);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await getMachine(sim, sim.users.admin, 'web-01')).status_name).toBe('Ready');
    const retry = await op(sim, sim.users.admin, 'web-01', 'deploy');
    expect(retry.status).toBe(200);
    sim.close();
  });

  it('rejects sim.fetch with TypeError("fetch failed") while the network is down', async () => {
    const sim = createSimulator();
    sim.faults.networkDown = true;
    await expect(call(sim, sim.users.admin, 'GET', 'version/')).rejects.toThrow(
      new TypeError('fetch failed'),
    );
    sim.faults.reset();
    expect((await call(sim, sim.users.admin, 'GET', 'version/')).status).toBe(200);
  });

  it('adds latency on the injected clock', async () => {
    const clock = new ManualClock();
    const sim = useClock(createSimulator({ clock }), clock);
    sim.faults.latencyMs = 2_000;
    let answered = false;
    const pending = call(sim, sim.users.admin, 'GET', 'version/').then((r) => {
      answered = true;
      return r;
    });
    await clock.advance(1_000);
    expect(answered).toBe(false);
    await clock.advance(1_000);
    expect((await pending).status).toBe(200);
    expect(answered).toBe(true);
  });

  it('reset() clears every armed fault', async () => {
    const clock = new ManualClock();
    const sim = useClock(createSimulator({ clock }), clock);
    sim.faults.unavailable(5);
    sim.faults.conflict(5);
    sim.faults.failNext(sim.state.machineByHostname('web-01')?.systemId ?? '', 'deploy');
    sim.faults.reset();
    expect((await op(sim, sim.users.admin, 'web-01', 'deploy')).status).toBe(200);
    await clock.advance(10 * 60_000);
    expect((await getMachine(sim, sim.users.admin, 'web-01')).status_name).toBe('Deployed');
  });

  it('records every request in the request log', async () => {
    const sim = createSimulator();
    await call(sim, sim.users.admin, 'GET', 'machines/?hostname=web-01');
    await op(sim, sim.users.admin, 'web-01', 'deploy', { distro_series: 'jammy' });
    await call(sim, null, 'GET', 'zones/');
    expect(sim.requests.count()).toBe(3);
    expect(sim.requests.count({ op: 'deploy' })).toBe(1);
    expect(sim.requests.count({ method: 'GET', pathPrefix: '/MAAS/api/2.0/machines/' })).toBe(1);
    const [list, deploy, anon] = sim.requests.entries;
    expect(list).toMatchObject({
      method: 'GET',
      path: '/MAAS/api/2.0/machines/',
      query: [['hostname', 'web-01']],
      status: 200,
    });
    expect(list?.authorization).toMatch(/^OAuth /);
    expect(deploy).toMatchObject({ method: 'POST', form: [['distro_series', 'jammy']], status: 200 });
    expect(anon).toMatchObject({ status: 401, authorization: null });
    sim.requests.clear();
    expect(sim.requests.entries).toHaveLength(0);
    sim.close();
  });
});
