/**
 * `sim.control`, the simulator's public test API: machine state (read-only records, and a status put straight in),
 * request failures (before or after the request takes effect), transition failures at a named step with MAAS's
 * failure status and message, the network, what MAAS changes outside its REST API (a user's rights, events a machine
 * reports), time, the request log and the stored user data. The simulator `createSimulator` hands out has nothing else.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import {
  CURATED_HOSTNAMES,
  createSimulator,
  SimStatus as S,
  type SimMachine,
  type Simulator,
} from '../../src/sim/index.ts';
import { call, getMachine, json, type MachineJson, op, useClock } from './helpers.ts';

function manual(): { sim: Simulator; clock: ManualClock } {
  const clock = new ManualClock();
  return { sim: useClock(createSimulator({ clock }), clock), clock };
}

describe('sim.control', () => {
  it('finds machines by hostname or system_id and puts one in a status, owner and power state', async () => {
    const sim = createSimulator();
    const id = sim.control.systemId('web-01');
    expect(sim.control.machine(id).hostname).toBe('web-01');
    sim.control.setMachine('web-01', { status: S.DEPLOYED, owner: 'alice', power: 'on' });
    const m = await getMachine(sim, sim.users.admin, 'web-01');
    expect([m.status_name, m.owner, m.power_state]).toEqual(['Deployed', 'alice', 'on']);
    sim.control.setMachine('web-01', { status: S.READY });
    expect((await getMachine(sim, sim.users.admin, 'web-01')).owner).toBeNull();
    expect(() => sim.control.machine('nope')).toThrow('no machine nope');
    expect(() => sim.control.setMachine('web-01', { status: 99 })).toThrow('99 is not a MAAS status');
  });

  it('fails the next matching request without running it, with the status and body asked for', async () => {
    const sim = createSimulator();
    const id = sim.control.systemId('web-01');
    const armed = sim.control.failRequests({
      method: 'POST',
      path: `machines/${id}/`,
      op: 'deploy',
      status: 503,
      body: 'Unable to connect to any rack controller; no connections available.',
      headers: { 'Retry-After': '5' },
    });
    expect((await call(sim, sim.users.admin, 'GET', `machines/${id}/`)).status).toBe(200);
    const failed = await op(sim, sim.users.admin, 'web-01', 'deploy');
    expect([failed.status, failed.headers.get('retry-after'), await failed.text()]).toEqual([
      503,
      '5',
      'Unable to connect to any rack controller; no connections available.',
    ]);
    expect(armed.remaining).toBe(0);
    expect((await getMachine(sim, sim.users.admin, 'web-01')).status_name).toBe('Ready');
    expect((await op(sim, sim.users.admin, 'web-01', 'deploy')).status).toBe(200);
  });

  it('fails a request after it took effect when asked (the answer is lost, the change stays)', async () => {
    const sim = createSimulator();
    sim.control.failRequests({ path: /^machines\/$/, op: 'allocate', status: 504, when: 'after' });
    const res = await call(sim, sim.users.admin, 'POST', 'machines/?op=allocate', {
      form: { name: 'web-02' },
    });
    expect(res.status).toBe(504);
    const mine = await json<MachineJson[]>(
      await call(sim, sim.users.admin, 'GET', 'machines/?op=list_allocated'),
    );
    expect(mine.map((m) => m.hostname)).toContain('web-02');
  });

  it('answers a JSON body as MAAS validation errors and counts the failures down', async () => {
    const sim = createSimulator();
    const armed = sim.control.failRequests({
      op: 'allocate',
      status: 400,
      body: { zone: ['No such zone(s): x.'] },
      times: 2,
    });
    for (let i = 0; i < 2; i++) {
      const res = await call(sim, sim.users.admin, 'POST', 'machines/?op=allocate');
      expect([res.status, res.headers.get('content-type'), await res.text()]).toEqual([
        400,
        'application/json',
        '{"zone": ["No such zone(s): x."]}',
      ]);
    }
    expect(armed.remaining).toBe(0);
    expect((await call(sim, sim.users.admin, 'POST', 'machines/?op=allocate')).status).toBe(200);
    const again = sim.control.failRequests({ op: 'allocate', status: 500 });
    again.cancel();
    expect((await call(sim, sim.users.admin, 'POST', 'machines/?op=allocate')).status).toBe(200);
  });

  it('fails a deployment at a named step with MAAS failure status, error and status message', async () => {
    const { sim } = manual();
    sim.control.failTransition('web-01', 'deploy', {
      at: 'Installing OS',
      message: 'curtin: disk /dev/sda vanished',
    });
    await op(sim, sim.users.admin, 'web-01', 'deploy');
    // PXE boot at 45 s, ephemeral at 75 s, the OS install would start at 135 s.
    await sim.control.advance(100_000);
    expect(sim.control.activity('web-01')).toBe('deploy');
    expect((await getMachine(sim, sim.users.admin, 'web-01')).status_message).toBe('Loading ephemeral');
    await sim.control.advance(40_000);
    const m = await getMachine(sim, sim.users.admin, 'web-01');
    expect([m.status_name, m.error_description, m.status_message]).toEqual([
      'Failed deployment',
      'curtin: disk /dev/sda vanished',
      'Failed deployment - curtin: disk /dev/sda vanished',
    ]);
    expect(sim.control.activity('web-01')).toBeUndefined();
    const events = await json<{ events: { type: string }[] }>(
      await call(sim, sim.users.admin, 'GET', `events/?op=query&id=${m.system_id}`),
    );
    expect(events.events.map((e) => e.type)).not.toContain('Installing OS');
  });

  it('fails a commissioning at its last step by default and leaves the machine powered off', async () => {
    const { sim } = manual();
    sim.control.failTransition('new-01', 'commission');
    await op(sim, sim.users.admin, 'new-01', 'commission');
    await sim.control.settle();
    const m = await getMachine(sim, sim.users.admin, 'new-01');
    expect([m.status_name, m.power_state, m.commissioning_status_name]).toEqual([
      'Failed commissioning',
      'off',
      'Failed',
    ]);
  });

  it('advance needs a clock that can be moved', async () => {
    const sim = createSimulator();
    await expect(sim.control.advance(1)).rejects.toThrow('needs a clock with advance(ms)');
    sim.close();
  });

  it('keeps the request log readable and clearable', async () => {
    const sim = createSimulator();
    await call(sim, sim.users.admin, 'GET', 'version/');
    expect(sim.control.requests.count({ pathPrefix: '/MAAS/api/2.0/version/' })).toBe(1);
    sim.control.requests.clear();
    expect(sim.control.requests.entries).toHaveLength(0);
  });

  it('lists every machine, in MAAS order, as live records it does not let a caller change', async () => {
    const sim = createSimulator();
    const all = sim.control.machines();
    expect(all.map((m) => m.hostname)).toEqual(CURATED_HOSTNAMES);
    const web04 = sim.control.machine('web-04');
    expect(all).toContain(web04);
    expect(web04.locked).toBe(false);
    await op(sim, sim.users.admin, 'web-04', 'lock');
    expect(web04.locked).toBe(true);
    // Checked by the type checker (`npm run typecheck`), never run: the records cannot be written through.
    const writeThrough = (m: SimMachine) => {
      // @ts-expect-error a record read through sim.control is read-only: change it with setMachine or the API
      m.status = S.DEPLOYED;
      // @ts-expect-error also deep inside
      m.tags.push('gpu');
    };
    expect(writeThrough).toBeTypeOf('function');
  });

  it('hands out the public API only: no state, timer engine or fault switches', () => {
    const sim = createSimulator();
    expect(Object.keys(sim).sort()).toEqual([
      'app',
      'baseUrl',
      'close',
      'control',
      'fetch',
      'requests',
      'settle',
      'users',
    ]);
    expect(sim.requests).toBe(sim.control.requests);
  });

  it('takes the network down and brings it back: no HTTP answer at all meanwhile', async () => {
    const sim = createSimulator();
    sim.control.setNetwork({ down: true });
    await expect(call(sim, sim.users.admin, 'GET', 'version/')).rejects.toThrow(
      new TypeError('fetch failed'),
    );
    expect(sim.control.requests.entries).toHaveLength(0);
    sim.control.setNetwork({ down: false });
    expect((await call(sim, sim.users.admin, 'GET', 'version/')).status).toBe(200);
    sim.control.setNetwork({ down: true });
    sim.control.clearFailures();
    expect((await call(sim, sim.users.admin, 'GET', 'version/')).status).toBe(200);
  });

  it('slows every answer by the latency asked for, on the simulator clock, until cleared', async () => {
    const { sim } = manual();
    expect(() => sim.control.setNetwork({ latencyMs: -1 })).toThrow('latencyMs must be 0 or more');
    sim.control.setNetwork({ latencyMs: 5_000 });
    let answered = false;
    const res = call(sim, sim.users.admin, 'GET', 'version/').then((r) => {
      answered = true;
      return r;
    });
    await sim.control.advance(4_999);
    expect(answered).toBe(false);
    await sim.control.advance(1);
    expect((await res).status).toBe(200);
    sim.control.clearFailures();
    expect((await call(sim, sim.users.admin, 'GET', 'version/')).status).toBe(200);
  });

  it('gives a user MAAS admin rights as the web UI does, and takes them back', async () => {
    const sim = createSimulator();
    const alice = sim.users.operator;
    const tag = (name: string) => call(sim, alice, 'POST', 'tags/', { form: { name } });
    expect((await tag('rack-a')).status).toBe(403);
    sim.control.setUser(alice.username, { isSuperuser: true });
    const me = await json<{ is_superuser: boolean }>(await call(sim, alice, 'GET', 'users/?op=whoami'));
    expect([me.is_superuser, alice.isSuperuser]).toEqual([true, true]);
    expect((await tag('rack-a')).status).toBe(200);
    sim.control.setUser(alice.username, { isSuperuser: false });
    expect((await tag('rack-b')).status).toBe(403);
    expect(() => sim.control.setUser('nobody', { isSuperuser: true })).toThrow('no user nobody');
  });

  it('records an event a machine reported; the latest at INFO or above is its status message', async () => {
    const sim = createSimulator();
    const id = sim.control.systemId('web-01');
    sim.control.logEvent('web-01', 'Node changed status', { description: 'From Ready to Ready' });
    sim.control.logEvent('web-01', 'Rebooting', { level: 'ERROR', description: 'BMC refused the reset' });
    sim.control.logEvent('web-01', 'Script result', { level: 'DEBUG', description: 'hidden at INFO' });
    const m = await getMachine(sim, sim.users.admin, 'web-01');
    expect(m.status_message).toBe('Rebooting - BMC refused the reset');
    const events = await json<{ events: { type: string; level: string; description: string }[] }>(
      await call(sim, sim.users.admin, 'GET', `events/?op=query&id=${id}&level=DEBUG`),
    );
    expect(events.events.slice(0, 3).map((e) => [e.type, e.level, e.description])).toEqual([
      ['Script result', 'DEBUG', 'hidden at INFO'],
      ['Rebooting', 'ERROR', 'BMC refused the reset'],
      ['Node changed status', 'INFO', 'From Ready to Ready'],
    ]);
  });
});
