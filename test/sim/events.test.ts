import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import { formatEventTime } from '../../src/sim/events.ts';
import { createSimulator } from '../../src/sim/simulator.ts';
import { call, json, op, sid, useClock } from './helpers.ts';

interface Page {
  count: number;
  events: {
    id: number;
    node: string;
    hostname: string;
    level: string;
    type: string;
    description: string;
    created: string;
    username: string;
  }[];
  next_uri: string;
  prev_uri: string | null;
}

function setup() {
  const clock = new ManualClock();
  const sim = useClock(createSimulator({ clock }), clock);
  return { sim, clock };
}

const q = async (sim: ReturnType<typeof setup>['sim'], query: string, who = sim.users.admin) => {
  const res = await call(sim, who, 'GET', `events/?op=query${query}`);
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return json<Page>(res);
};

describe('events query', () => {
  it('lists INFO-and-above events newest first with the MAAS envelope', async () => {
    const { sim } = setup();
    const page = await q(sim, '');
    expect(page.count).toBe(page.events.length);
    expect(page.events.length).toBeGreaterThan(10);
    const ids = page.events.map((e) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(page.events.every((e) => e.level !== 'DEBUG')).toBe(true);
    expect(page.events[0]).toEqual({
      username: expect.any(String),
      node: expect.any(String),
      hostname: expect.any(String),
      id: expect.any(Number),
      level: expect.any(String),
      created: expect.stringMatching(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2}\. \d{4} \d{2}:\d{2}:\d{2}$/),
      type: expect.any(String),
      description: expect.any(String),
    });
  });

  it('formats created as strftime("%a, %d %b. %Y %H:%M:%S")', () => {
    expect(formatEventTime(Date.UTC(2018, 11, 7, 20, 11, 8))).toBe('Fri, 07 Dec. 2018 20:11:08');
  });

  it('filters by hostname, id, mac_address, zone and owner, and shows DEBUG on request', async () => {
    const { sim } = setup();
    await op(sim, sim.users.admin, 'web-01', 'deploy');
    const byHost = await q(sim, '&hostname=web-01&level=DEBUG');
    expect(byHost.events.map((e) => e.type)).toContain('User starting deployment');
    expect(byHost.events.every((e) => e.hostname === 'web-01')).toBe(true);
    const byId = await q(sim, `&id=${sid(sim, 'web-01')}`);
    expect(byId.events[0]).toMatchObject({ type: 'Deploying', node: sid(sim, 'web-01') });
    const mac = sim.state.machineByHostname('db-01')?.interfaces[0]?.mac;
    const byMac = (await q(sim, `&mac_address=${mac}`)).events;
    expect(byMac.length).toBeGreaterThan(0);
    expect(byMac.every((e) => e.hostname === 'db-01')).toBe(true);
    const byZone = (await q(sim, '&zone=zone-b')).events;
    expect(byZone.length).toBeGreaterThan(0);
    expect(byZone.every((e) => sim.state.machineByHostname(e.hostname)?.zoneId === 3)).toBe(true);
    const byOwner = (await q(sim, '&owner=bob')).events;
    expect(byOwner.every((e) => e.hostname.startsWith('k8s-0'))).toBe(true);
    expect(new Set(byOwner.map((e) => e.hostname))).toEqual(new Set(['k8s-01', 'k8s-02']));
  });

  it("hides events of machines the caller can't see", async () => {
    const { sim } = setup();
    const alice = await q(sim, '&limit=1000', sim.users.operator);
    expect(alice.events.length).toBeGreaterThan(0);
    expect(alice.events.some((e) => e.hostname === 'k8s-01')).toBe(false);
  });

  it('pages with limit, before and after, and gives next/prev URIs', async () => {
    const { sim } = setup();
    const first = await q(sim, '&limit=5');
    expect(first.count).toBe(5);
    const newest = first.events[0]?.id;
    const oldest = first.events[4]?.id;
    expect(first.next_uri).toBe(`/MAAS/api/2.0/events/?op=query&limit=5&after=${newest}`);
    expect(first.prev_uri).toBe(`/MAAS/api/2.0/events/?op=query&limit=5&before=${oldest}`);
    const older = await q(sim, `&limit=5&before=${oldest}`);
    expect(older.events.every((e) => e.id < (oldest ?? 0))).toBe(true);
    const newer = await q(sim, `&limit=3&after=${older.events[4]?.id}`);
    expect(newer.events.map((e) => e.id)).toEqual(older.events.slice(1, 4).map((e) => e.id));
    const all = await q(sim, '&limit=1000');
    expect(all.prev_uri).toBeNull();
    expect((await q(sim, '&limit=0')).count).toBe(1);
  });

  it('lets a poller follow a machine with id= and after=', async () => {
    const { sim, clock } = setup();
    const start = await q(sim, `&id=${sid(sim, 'web-02')}`);
    const after = Number(new URL(`http://x${start.next_uri}`).searchParams.get('after'));
    await op(sim, sim.users.admin, 'web-02', 'deploy');
    await clock.advance(80_000);
    const page = await q(sim, `&id=${sid(sim, 'web-02')}&after=${after}`);
    expect(page.events.map((e) => e.type)).toEqual(['Loading ephemeral', 'Performing PXE boot', 'Deploying']);
  });

  it("rejects bad level, limit and before+after with MAAS's texts", async () => {
    const { sim } = setup();
    const cases: [string, string][] = [
      ['&level=LOUD', 'Unrecognised log level: LOUD'],
      ['&limit=1001', 'Requested number of events 1001 is greater than limit: 1000'],
      ['&before=5&after=1', 'There is no support for both before and after.'],
    ];
    for (const [query, text] of cases) {
      const res = await call(sim, sim.users.admin, 'GET', `events/?op=query${query}`);
      expect([res.status, await res.text()]).toEqual([400, text]);
    }
  });

  it('keeps a bounded history per machine', async () => {
    const { sim } = setup();
    for (let i = 0; i < 40; i++) {
      await op(sim, sim.users.admin, 'db-01', 'lock');
      await op(sim, sim.users.admin, 'db-01', 'unlock');
    }
    expect(sim.state.machineByHostname('db-01')?.events.length).toBe(50);
  });
});
