/**
 * Bulk targets: twenty machines in one call, resolved in at most two batched reads; per-machine results where
 * one machine's failure never stops the others.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/core/result.ts';
import { NodeStatus as S } from '../../src/maas/status.ts';
import { call } from '../helpers.ts';
import {
  drive,
  hosts,
  listReadsBeforeFirstWrite,
  MACHINES,
  machinePath,
  node,
  opOf,
  posts,
  powerOnWitness,
  readyHosts,
  requestOf,
  runCleanups,
  setup,
  sid,
} from './write-helpers.ts';

afterEach(runCleanups);

const NO_RACK = 'Unable to connect to any rack controller 4y3h7n; no connections available.';

/** A 60-machine fleet: the seeded 40-machine one has only 15 Ready machines, this one has 22. */
const FLEET = 80;

describe('twenty machines in one call', () => {
  it('deploys 20 Ready machines: one batched read resolves them all, and every one succeeds', async () => {
    const { sim, client } = await setup({ machines: FLEET });
    const twenty = readyHosts(sim, 20);
    expect(twenty).toHaveLength(20);
    sim.requests.clear();
    const res = await call<ActionResult>(client, 'machine_deploy', {
      machines: twenty,
      distro_series: 'noble',
    });
    expect(res.isError).toBe(false);
    expect(res.data.summary).toBe('deploy: 20 done');
    expect(hosts(res.data.succeeded).sort()).toEqual([...twenty].sort());
    for (const r of res.data.succeeded) expect([r.before, r.after]).toEqual(['Ready', 'Deploying']);
    expect(res.data.failed).toEqual([]);

    const reads = listReadsBeforeFirstWrite(sim);
    expect(reads).toHaveLength(1);
    expect(
      reads[0]?.query
        .filter(([k]) => k === 'hostname')
        .map(([, v]) => v)
        .sort(),
    ).toEqual([...twenty].sort());
    expect(sim.requests.count({ method: 'GET', pathPrefix: MACHINES })).toBeLessThanOrEqual(2);
    // MAAS allocates each Ready machine inside its deploy request.
    expect(sim.requests.count({ method: 'POST', op: 'allocate' })).toBe(0);
    expect(sim.requests.count({ method: 'POST', op: 'deploy' })).toBe(20);
    for (const h of twenty) {
      expect(posts(sim).filter((e) => e.path === machinePath(sim, h) && opOf(e) === 'deploy')).toHaveLength(
        1,
      );
    }
    await sim.settle();
    for (const h of twenty) expect(node(sim, h).status, h).toBe(S.DEPLOYED);
  });

  it('resolves a mix of system_ids and hostnames in exactly two batched reads', async () => {
    const { sim, client } = await setup({ machines: FLEET });
    const twenty = readyHosts(sim, 20);
    const refs = twenty.map((h, i) => (i % 2 === 0 ? sid(sim, h) : h));
    sim.requests.clear();
    const res = await call<ActionResult>(client, 'machine_mark_broken', {
      machines: refs,
      comment: 'rack 9 PDU',
    });
    expect(res.data.succeeded).toHaveLength(20);
    const reads = listReadsBeforeFirstWrite(sim);
    expect(reads).toHaveLength(2);
    expect(reads[0]?.query.filter(([k]) => k === 'id')).toHaveLength(10);
    expect(reads[1]?.query.filter(([k]) => k === 'hostname')).toHaveLength(10);
    expect(sim.requests.count({ method: 'POST', op: 'mark_broken' })).toBe(20);
    for (const h of twenty) expect(node(sim, h).status).toBe(S.BROKEN);

    const fixed = await call<ActionResult>(client, 'machine_mark_fixed', { machines: twenty.join(', ') });
    expect(fixed.data.succeeded).toHaveLength(20);
    for (const h of twenty) expect(node(sim, h).status).toBe(S.READY);
  });

  it('power-cycles 20 Deployed machines at once, powering each on only once it reported off', async () => {
    const offWhenOn = new Map<string, string>();
    const { sim, client, clock } = await setup({ machines: 80, fetch: powerOnWitness(offWhenOn) });
    const twenty = sim.control
      .machines()
      .filter((n) => n.status === S.DEPLOYED && !n.locked && n.powerType !== 'manual')
      .slice(0, 20)
      .map((n) => n.hostname);
    expect(twenty).toHaveLength(20);
    sim.requests.clear();
    const res = await drive(clock, call<ActionResult>(client, 'machine_power_cycle', { machines: twenty }));
    expect(res.isError).toBe(false);
    expect(res.data.succeeded).toHaveLength(20);
    expect(listReadsBeforeFirstWrite(sim)).toHaveLength(1);
    expect(sim.requests.count({ method: 'POST', op: 'power_off' })).toBe(20);
    expect(sim.requests.count({ method: 'POST', op: 'power_on' })).toBe(20);
    expect([...offWhenOn.values()]).toEqual(Array.from({ length: 20 }, () => 'off'));
  });

  it('accepts at most 100 machines', async () => {
    const { sim, client } = await setup();
    const many = Array.from({ length: 101 }, (_, i) => `host-${i}`);
    const res = await call(client, 'machine_release', { machines: many });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('machines');
    const oneString = await call(client, 'machine_release', { machines: many.join(',') });
    expect(oneString.text).toBe('at most 100 machines at once (got 101)');
    expect(posts(sim)).toHaveLength(0);
  });
});

describe('partial failures', () => {
  it("goes on past one machine's failure: each machine succeeds, is skipped, fails or is not found, with why", async () => {
    // web-02's deploy is answered 503 by MAAS (no rack controller): the others must not care.
    const { sim, client } = await setup({
      fetch: (s) => async (input, init) => {
        const { method, url } = requestOf(input, init);
        const web02 = `${MACHINES}${sid(s, 'web-02')}/`;
        if (method === 'POST' && url.pathname === web02 && url.searchParams.get('op') === 'deploy') {
          return new Response(NO_RACK, {
            status: 503,
            headers: { 'Content-Type': 'text/plain', 'Retry-After': '5' },
          });
        }
        return s.fetch(input, init);
      },
    });
    const res = await call<ActionResult>(client, 'machine_deploy', {
      machines: ['web-02', 'web-01', 'web-04', 'web-03', 'nope-99', 'lab-02', 'web-06'],
    });
    expect(res.isError).toBe(false);
    expect(hosts(res.data.succeeded)).toEqual(['web-01', 'web-06']);
    expect(res.data.skipped.map((s) => [s.hostname, s.reason])).toEqual([
      ['lab-02', 'already deploying (abort it first to deploy something else)'],
    ]);
    expect(res.data.failed.map((f) => [f.hostname, f.error])).toEqual([
      ['web-04', 'cannot deploy web-04: it is Deployed — release it first'],
      ['web-03', 'web-03 is locked — unlock it first'],
      ['web-02', `cannot deploy web-02: MAAS is temporarily unavailable: ${NO_RACK}`],
    ]);
    expect(res.data.not_found).toEqual(['nope-99']);
    expect(res.data.summary).toBe('deploy: 2 done, 1 skipped, 3 failed, 1 not found');
    expect(res.text).toContain('not found: "nope-99"');
    expect(node(sim, 'web-01').status).toBe(S.DEPLOYING);
    expect(node(sim, 'web-06').status).toBe(S.DEPLOYING);
    expect(node(sim, 'web-02').status).toBe(S.READY);
    expect(node(sim, 'web-04').status).toBe(S.DEPLOYED);
  });

  it('is an error only when nothing succeeded', async () => {
    const { client } = await setup();
    const allFailed = await call<ActionResult>(client, 'machine_deploy', {
      machines: ['web-04', 'web-03', 'nope-99'],
    });
    expect(allFailed.isError).toBe(true);
    expect(allFailed.data.status).toBe('done');
    const onlyMissing = await call<ActionResult>(client, 'machine_release', { machines: 'nope-99' });
    expect(onlyMissing.isError).toBe(true);
    expect(onlyMissing.data.not_found).toEqual(['nope-99']);
    const onlySkipped = await call<ActionResult>(client, 'machine_release', {
      machines: ['web-01', 'web-02'],
    });
    expect(onlySkipped.isError).toBe(false);
    const oneOfMany = await call<ActionResult>(client, 'machine_release', {
      machines: ['web-04', 'nope-99', 'lab-01'],
    });
    expect(oneOfMany.isError).toBe(false);
    expect(hosts(oneOfMany.data.succeeded)).toEqual(['web-04']);
  });

  it('names each machine once, however it was written', async () => {
    const { sim, client } = await setup();
    const res = await call<ActionResult>(client, 'machine_lock', {
      machines: ['web-04', sid(sim, 'web-04'), 'web-04.maas', 'web-04'],
    });
    expect(hosts(res.data.succeeded)).toEqual(['web-04']);
    expect(sim.requests.count({ method: 'POST', op: 'lock' })).toBe(1);
  });
});
