/**
 * MAAS 3.7.3 runs each request in a transaction and rolls back whatever a refused request changed
 * (MAAS `ATOMIC_REQUESTS`, `maasserver/utils/views.py`); only an Http404 raised in a handler keeps the work before it.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import { SimStatus as S } from '../../src/sim/index.ts';
import { createSimulator, type SimulatorInternals } from '../../src/sim/simulator.ts';
import { atomically, TxMap, touch } from '../../src/sim/tx.ts';
import { call, json, type MachineJson, op, sid, useClock } from './helpers.ts';

function manual(): { sim: SimulatorInternals; clock: ManualClock } {
  const clock = new ManualClock();
  return { sim: useClock(createSimulator({ clock }), clock), clock };
}

describe('a refused request changes nothing (MAAS `ATOMIC_REQUESTS`, `maasserver/utils/views.py`)', () => {
  it('keeps a machine Ready, unowned and without an acquire event when its deploy from Ready fails validation', async () => {
    const { sim } = manual();
    const before = await json<MachineJson>(
      await call(sim, sim.users.operator, 'GET', `machines/${sid(sim, 'web-02')}/`),
    );
    const res = await op(sim, sim.users.operator, 'web-02', 'deploy', { distro_series: 'no-such-series' });
    expect(res.status).toBe(400);
    const after = await json<MachineJson>(
      await call(sim, sim.users.operator, 'GET', `machines/${sid(sim, 'web-02')}/`),
    );
    expect(after).toEqual(before);
    const events = await json<{ events: { type: string }[] }>(
      await call(sim, sim.users.admin, 'GET', `events/?op=query&id=${sid(sim, 'web-02')}&level=DEBUG`),
    );
    expect(events.events.map((e) => e.type)).not.toContain('User acquiring node');
  });

  it('releases nothing when a bulk release answers 409, and the deployments it stopped carry on to the minute', async () => {
    const { sim, clock } = manual();
    const control = manual();
    const ids = [sid(sim, 'lab-02'), sid(sim, 'web-05'), sid(sim, 'new-01')];
    await clock.advance(100_000);
    await control.clock.advance(100_000);
    const res = await call(sim, sim.users.admin, 'POST', 'machines/?op=release', { form: { machines: ids } });
    expect([res.status, await res.text()]).toEqual([
      409,
      `Machine(s) cannot be released in their current state: ${ids[2]} ('New').`,
    ]);
    const lab02 = sim.state.machineByHostname('lab-02');
    expect(sim.state.machineByHostname('web-05')).toMatchObject({ status: S.ALLOCATED, owner: 'admin' });
    expect(lab02).toMatchObject({ status: S.DEPLOYING });
    expect(lab02?.events.map((e) => e.type)).not.toContain('User releasing node');
    expect(lab02 && sim.engine.activity(lab02)).toBe('deploy');
    // The seeded deployment of lab-02 finishes at the same instant as in an untouched simulator.
    const controlLab02 = control.sim.state.machineByHostname('lab-02');
    for (const [step, status] of [
      [244_999, S.DEPLOYING],
      [1, S.DEPLOYED],
    ] as const) {
      await clock.advance(step);
      await control.clock.advance(step);
      expect(controlLab02?.status).toBe(status);
      expect(lab02?.status).toBe(status);
    }
  });

  it('accepts no machine when one of a bulk accept is in the wrong state', async () => {
    const { sim } = manual();
    const res = await call(sim, sim.users.admin, 'POST', 'machines/?op=accept', {
      form: { machines: [sid(sim, 'new-01'), sid(sim, 'web-04')] },
    });
    expect([res.status, await res.text()]).toEqual([
      409,
      `Cannot accept node enlistment: node ${sid(sim, 'web-04')} is in state Deployed.`,
    ]);
    const new01 = sim.state.machineByHostname('new-01');
    expect(new01).toMatchObject({ status: S.NEW, owner: null });
    expect(new01 && sim.engine.activity(new01)).toBeUndefined();
  });

  it('gives back the links and addresses a create_bond freed before one of its fields was refused', async () => {
    const { sim } = manual();
    const path = `nodes/${sid(sim, 'db-02')}/interfaces/`;
    type Iface = { id: number; links: { ip_address?: string }[] };
    const before = await json<Iface[]>(await call(sim, sim.users.admin, 'GET', path));
    const ipsBefore = [...sim.state.ips];
    // The storage NIC holds a static address, which building the bond frees before the mtu is read.
    const parent = before.find((i) => i.links.some((l) => l.ip_address));
    expect(parent).toBeDefined();
    const res = await call(sim, sim.users.admin, 'POST', `${path}?op=create_bond`, {
      form: { name: 'bond0', parents: String(parent?.id), mtu: 'jumbo' },
    });
    expect([res.status, await res.text()]).toEqual([400, '{"mtu": ["Enter a whole number."]}']);
    expect(await json(await call(sim, sim.users.admin, 'GET', path))).toEqual(before);
    expect([...sim.state.ips]).toEqual(ipsBefore);
  });

  it('keeps what a request did before an Http404, as piston answers it instead of raising it', () => {
    const map = new TxMap<string, string>('values');
    expect(() =>
      atomically(
        () => {
          map.set('kept', 'yes');
          throw Object.assign(new Error('No Machine matches the given query.'), { status: 404 });
        },
        (err) => (err as { status?: number }).status === 404,
      ),
    ).toThrow('No Machine matches');
    expect(map.get('kept')).toBe('yes');
  });
});

describe('the undo journal', () => {
  const fail = () => {
    throw new Error('refused');
  };
  const never = () => false;

  it('restores changed, added and deleted keys of a map of values, in their order', () => {
    const map = new TxMap<string, number>('values');
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    expect(() =>
      atomically(() => {
        map.set('b', 20);
        map.delete('a');
        map.set('d', 4);
        map.delete('c');
        map.set('b', 21);
        fail();
      }, never),
    ).toThrow('refused');
    expect([...map]).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('restores a record reached by key in place, so timers holding it see the old fields', () => {
    const map = new TxMap<string, { n: number; list: number[]; extra?: string }>('records');
    const rec = { n: 1, list: [1] };
    map.set('r', rec);
    expect(() =>
      atomically(() => {
        const r = map.get('r');
        if (!r) return;
        r.n = 2;
        r.list.push(2);
        r.extra = 'x';
        fail();
      }, never),
    ).toThrow();
    expect(map.get('r')).toBe(rec);
    expect(rec).toEqual({ n: 1, list: [1] });
  });

  it('restores a small map found by iteration, and a touched record reached another way', () => {
    const small = new TxMap<number, { name: string }>('small');
    const zone = { name: 'zone-a' };
    small.set(1, zone);
    const loose = { status: 4 };
    expect(() =>
      atomically(() => {
        for (const z of small.values()) z.name = 'renamed';
        small.set(2, { name: 'new' });
        touch(loose);
        loose.status = 10;
        fail();
      }, never),
    ).toThrow();
    expect([...small]).toEqual([[1, { name: 'zone-a' }]]);
    expect(small.get(1)).toBe(zone);
    expect(loose.status).toBe(4);
  });

  it('keeps everything when the handler returns', () => {
    const map = new TxMap<string, number>('values');
    expect(atomically(() => map.set('a', 1).get('a'), never)).toBe(1);
    expect(map.get('a')).toBe(1);
  });

  it('changes nothing outside a request', () => {
    const map = new TxMap<string, number>('values');
    map.set('a', 1);
    expect(() => atomically(fail, never)).toThrow();
    expect(map.get('a')).toBe(1);
  });
});
