/**
 * Unanswered writes in a bulk action are judged on ONE batched re-read after every write is done, never one
 * re-read per machine (src/core/perform.ts settleUnanswered).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FetchLike } from '../../src/base/fetch.ts';
import type { ActionResult } from '../../src/core/result.ts';
import type { Simulator } from '../../src/sim/index.ts';
import { call } from '../helpers.ts';
import { drive, MACHINES, opOf, requestOf, runCleanups, setup, sid } from './write-helpers.ts';

afterEach(runCleanups);

/** Ten machines the admin may commission (Ready or New) — more than the 8 writes a call keeps in flight. */
const TEN = [
  'web-01',
  'web-02',
  'web-06',
  'db-02',
  'gpu-01',
  'stor-01',
  'k8s-03',
  'arm-01',
  'new-01',
  'new-02',
];

/** Every commission reaches MAAS, then its answer is lost. */
function loseCommissionAnswers(sim: Simulator): FetchLike {
  return async (input, init) => {
    const { method, url } = requestOf(input, init);
    const res = await sim.fetch(input, init);
    if (method === 'POST' && url.searchParams.get('op') === 'commission') throw new TypeError('fetch failed');
    return res;
  };
}

/** The machine-list reads MAAS received after the first write. */
function rereads(sim: Simulator) {
  const entries = sim.requests.entries;
  const first = entries.findIndex((e) => e.method !== 'GET');
  return entries.slice(first + 1).filter((e) => e.method === 'GET' && e.path === MACHINES);
}

describe('unanswered writes in a bulk action', () => {
  it('are settled with one batched re-read, however many went unanswered', async () => {
    const { sim, client } = await setup({ fetch: loseCommissionAnswers });
    const res = await call<ActionResult>(client, 'machine_commission', { machines: TEN });
    expect(sim.requests.count({ method: 'POST', op: 'commission' })).toBe(10);
    expect(res.data.failed).toEqual([]);
    expect(res.data.succeeded).toHaveLength(10);
    for (const r of res.data.succeeded) {
      expect(r).toMatchObject({
        after: 'Commissioning',
        note: 'MAAS answered late, but the change took effect',
      });
    }
    const reads = rereads(sim);
    expect(reads).toHaveLength(1);
    expect(
      reads[0]?.query
        .filter(([k]) => k === 'id')
        .map(([, v]) => v)
        .sort(),
    ).toEqual(TEN.map((h) => sid(sim, h)).sort());
    // The re-read comes after the last write: every write is done before anything is judged.
    const entries = sim.requests.entries;
    const lastWrite = entries.findLastIndex((e) => opOf(e) === 'commission');
    expect(entries.indexOf(reads[0] as (typeof entries)[number])).toBeGreaterThan(lastWrite);
  });

  it('with MAAS stalled past the client timeout: one re-read for all, and each outcome is unknown', async () => {
    const { sim, client, clock } = await setup({
      fetch: (s) => (input, init) => {
        // MAAS stalls from the first write on: every answer (writes and re-reads) comes after 40 s.
        if (requestOf(input, init).method === 'POST') s.control.setNetwork({ latencyMs: 40_000 });
        return s.fetch(input, init);
      },
    });
    const res = await drive(clock, call<ActionResult>(client, 'machine_commission', { machines: TEN }));
    // Let the stalled simulator finish what it received, so its request log is complete.
    await clock.advance(60_000);
    expect(res.data.succeeded).toEqual([]);
    expect(res.data.failed).toHaveLength(10);
    for (const r of res.data.failed) {
      expect(r.error).toMatch(
        new RegExp(
          `^cannot commission ${r.hostname}: MAAS did not answer POST machines/\\w+/ within 30 s; MAAS could not be re-read either`,
        ),
      );
    }
    expect(sim.requests.count({ method: 'POST', op: 'commission' })).toBe(10);
    expect(rereads(sim)).toHaveLength(1);
  });
});
