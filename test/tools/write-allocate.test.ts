/**
 * machine_allocate: constraints as MAAS's allocate takes them, cheapest first, N all-or-nothing, dry runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { NodeStatus as S } from '../../src/maas/status.ts';
import type { SimMachine, Simulator } from '../../src/sim/index.ts';
import type { machineAllocate } from '../../src/tools/allocate.ts';
import { call } from '../helpers.ts';
import { MACHINES, node, opOf, posts, runCleanups, setup, sid } from './write-helpers.ts';

afterEach(runCleanups);

type AllocateOut = z.infer<typeof machineAllocate.output>;

const cost = (n: SimMachine) => n.cpuCount + n.memory / 1024;

/** The fleet's Ready machines matching `keep`, cheapest first (stable: id order among equal costs). */
function cheapest(sim: Simulator, keep: (n: SimMachine) => boolean = () => true): string[] {
  return sim.control
    .machines()
    .filter((n) => n.status === S.READY && !n.locked && keep(n))
    .sort((a, b) => cost(a) - cost(b))
    .map((n) => n.hostname);
}

const allocateForms = (sim: Simulator) =>
  posts(sim)
    .filter((e) => e.path === MACHINES && opOf(e) === 'allocate')
    .map((e) => e.form);

describe('machine_allocate', () => {
  it('takes the cheapest Ready machine (cpu_count + memory/1024) when given no constraints', async () => {
    const { sim, client } = await setup();
    const expected = cheapest(sim)[0] as string;
    const res = await call<AllocateOut>(client, 'machine_allocate', {});
    expect(res.isError).toBe(false);
    expect(res.data.dry_run).toBe(false);
    expect(res.data.allocated.map((m) => m.hostname)).toEqual([expected]);
    expect(allocateForms(sim)).toEqual([[]]);
    const n = node(sim, expected);
    expect(n.status).toBe(S.ALLOCATED);
    expect(n.owner).toBe('admin');
    expect(res.data.summary).toBe(
      `Allocated ${expected}; deploy with machine_deploy, or give back with machine_release.`,
    );
  });

  it('passes cpus, memory, tags (with "-" for not), zone and pool as MAAS constraints', async () => {
    const { sim, client, deps } = await setup();
    const zoneB = (await deps.maas.zones()).find((z) => z.name === 'zone-b');
    const production = (await deps.maas.pools()).find((p) => p.name === 'production');
    const expected = cheapest(
      sim,
      (n) =>
        n.cpuCount >= 8 &&
        n.memory >= 32768 &&
        n.tags.includes('ssd') &&
        !n.tags.includes('gpu') &&
        n.zoneId === zoneB?.id &&
        n.poolId === production?.id,
    );
    expect(expected).toEqual(['db-02']);
    const res = await call<AllocateOut>(client, 'machine_allocate', {
      cpus: 8,
      memory: 32768,
      tags: ['ssd', '-gpu'],
      zone: 'zone-b',
      pool: 'production',
      comment: 'db replica',
    });
    expect(allocateForms(sim)).toEqual([
      [
        ['cpu_count', '8'],
        ['mem', '32768'],
        ['tags', 'ssd'],
        ['not_tags', 'gpu'],
        ['zone', 'zone-b'],
        ['pool', 'production'],
        ['comment', 'db replica'],
      ],
    ]);
    expect(res.data.allocated.map((m) => m.hostname)).toEqual(expected);
    expect(res.data.allocated[0]).toMatchObject({
      cpus: 16,
      memory_mib: 65536,
      zone: 'zone-b',
      pool: 'production',
      arch: 'amd64/generic',
    });
  });

  it('negates a tag with a leading "-": the cheapest compute machine without ssd', async () => {
    const { sim, client } = await setup();
    const expected = cheapest(sim, (n) => n.tags.includes('compute') && !n.tags.includes('ssd'))[0];
    const res = await call<AllocateOut>(client, 'machine_allocate', { tags: ['compute', '-ssd'] });
    expect(res.data.allocated.map((m) => m.hostname)).toEqual([expected]);
    expect(allocateForms(sim)).toEqual([
      [
        ['tags', 'compute'],
        ['not_tags', 'ssd'],
      ],
    ]);
  });

  it('takes an architecture', async () => {
    const { sim, client } = await setup();
    const res = await call<AllocateOut>(client, 'machine_allocate', { architecture: 'arm64' });
    expect(allocateForms(sim)).toEqual([[['arch', 'arm64']]]);
    expect(res.data.allocated.map((m) => [m.hostname, m.arch])).toEqual([['arm-01', 'arm64/generic']]);
  });

  it('takes a machine by hostname or by system_id', async () => {
    const { sim, client } = await setup();
    const byName = await call<AllocateOut>(client, 'machine_allocate', { hostname: 'web-06' });
    const byId = await call<AllocateOut>(client, 'machine_allocate', { system_id: sid(sim, 'gpu-01') });
    expect(byName.data.allocated[0]?.hostname).toBe('web-06');
    expect(byId.data.allocated[0]?.hostname).toBe('gpu-01');
    expect(allocateForms(sim)).toEqual([[['name', 'web-06']], [['system_id', sid(sim, 'gpu-01')]]]);
  });

  it('allocates count machines, cheapest first, one MAAS allocation each', async () => {
    const { sim, client } = await setup();
    const expected = cheapest(sim).slice(0, 3);
    const res = await call<AllocateOut>(client, 'machine_allocate', { count: 3 });
    expect(res.data.allocated.map((m) => m.hostname)).toEqual(expected);
    expect(allocateForms(sim)).toHaveLength(3);
    for (const h of expected) {
      expect(node(sim, h).status).toBe(S.ALLOCATED);
      expect(node(sim, h).owner).toBe('admin');
    }
  });

  it('allocates none when it cannot get all N, releasing the ones it took', async () => {
    const { sim, client } = await setup();
    const gpu = node(sim, 'gpu-01');
    const res = await call(client, 'machine_allocate', { tags: 'gpu', count: 2 });
    expect(res.isError).toBe(true);
    expect(res.text).toBe(
      `cannot allocate 2 machines: only 1 could be taken; MAAS says: No available machine matches constraints: [('tags', ['gpu'])] (resolved to "tags=gpu"). Released the 1 already taken (gpu-01), so nothing is held.`,
    );
    const release = posts(sim).filter((e) => e.path === MACHINES && opOf(e) === 'release');
    expect(release).toHaveLength(1);
    expect(release[0]?.form).toEqual([
      ['machines', gpu.systemId],
      ['comment', 'maas-mcp: allocation of several machines fell short'],
    ]);
    expect(gpu.status).toBe(S.READY);
    expect(gpu.owner).toBeNull();
    const held = sim.control
      .machines()
      .filter((n) => n.status === S.ALLOCATED)
      .map((n) => n.hostname);
    expect(held).toEqual(['web-05']); // the seeded one only
  });

  it('renders MAAS\'s "no match" answer when nothing fits', async () => {
    const { client } = await setup();
    const res = await call(client, 'machine_allocate', { hostname: 'web-04' });
    expect(res.isError).toBe(true);
    expect(res.text).toBe(
      `cannot allocate 1 machine: MAAS says: No available machine matches constraints: [('name', ['web-04'])] (resolved to "name=web-04").`,
    );
  });

  it('says which machine it would take with dry_run, and takes nothing', async () => {
    const { sim, client } = await setup();
    const expected = cheapest(sim)[0] as string;
    const res = await call<AllocateOut>(client, 'machine_allocate', { dry_run: true });
    expect(res.data).toMatchObject({ dry_run: true, summary: `Would allocate ${expected}.` });
    expect(res.data.allocated.map((m) => m.hostname)).toEqual([expected]);
    expect(allocateForms(sim)).toEqual([[['dry_run', 'true']]]);
    expect(node(sim, expected).status).toBe(S.READY);
    expect(node(sim, expected).owner).toBeNull();
  });

  it('with dry_run and a count, picks the same machines a real allocation then takes, writing nothing', async () => {
    const { sim, client } = await setup();
    const args = { count: 3, tags: ['-gpu'], cpus: 4 };
    const dry = await call<AllocateOut>(client, 'machine_allocate', { ...args, dry_run: true });
    expect(posts(sim)).toHaveLength(0);
    expect(sim.control.machines().filter((n) => n.status === S.ALLOCATED)).toHaveLength(1);
    const real = await call<AllocateOut>(client, 'machine_allocate', args);
    expect(dry.data.allocated.map((m) => m.hostname)).toEqual(real.data.allocated.map((m) => m.hostname));
    expect(dry.data.allocated).toHaveLength(3);
  });

  it('with dry_run, refuses a count larger than what is available', async () => {
    const { sim, client } = await setup();
    const res = await call(client, 'machine_allocate', { tags: 'gpu', count: 2, dry_run: true });
    expect(res.isError).toBe(true);
    expect(res.text).toBe('only 1 Ready machines match, not 2: nothing would be allocated');
    expect(posts(sim)).toHaveLength(0);
  });

  it('refuses a count above 1 together with a hostname or system_id', async () => {
    const { sim, client } = await setup();
    const res = await call(client, 'machine_allocate', { hostname: 'web-01', count: 2 });
    expect(res.isError).toBe(true);
    expect(res.text).toBe('count: a count above 1 cannot be combined with hostname or system_id');
    const byId = await call(client, 'machine_allocate', { system_id: sid(sim, 'web-01'), count: 3 });
    expect(byId.isError).toBe(true);
    expect(posts(sim)).toHaveLength(0);
  });

  it('validates count and memory before asking MAAS', async () => {
    const { sim, client } = await setup();
    const res = await call(client, 'machine_allocate', { count: 101 });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('count');
    const mem = await call(client, 'machine_allocate', { memory: 0 });
    expect(mem.text).toContain('memory');
    expect(posts(sim)).toHaveLength(0);
  });
});
